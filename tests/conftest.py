"""The default world: two districts in different provinces and time zones, a user in every
role in each, province and national viewers, and an outsider with no membership at all."""

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from accounts.models import Membership, Role, User
from accounts.services import grant_membership
from config.celery import app as celery_app
from villages.models import Agency, District, Kecamatan, Village
from villages.services import ensure_default_agencies, import_regions, parse_region_file

PASSWORD = "correct-horse-battery-staple"

# A small region list in the official format: province 32 (two districts, WIB) and 53 (WITA).
REGIONS_CSV = """kode,nama
32,Jawa Barat
32.11,Kabupaten Sumedang
32.11.01,Wado
32.11.01.2001,Cimungkal
32.11.01.2002,Ganjarresik
32.11.02,Jatinunggal
32.11.02.2001,Cimanintin
32.11.02.1002,Pawenang
32.73,Kota Bandung
32.73.01,Sukasari
32.73.01.1001,Sarijadi
53,Nusa Tenggara Timur
53.02,Kabupaten Timor Tengah Selatan
53.02.01,Kota Soe
53.02.01.1001,SoE
53.02.01.1002,Cendana
53.02.02,Mollo Utara
53.02.02.2001,Bijaepunu
53.02.02.3002,Netpala
"""


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [
        f"database: {engine}; redis: {'yes' if os.environ.get('REDIS_URL') else 'no'}; "
        f"chromium: {shutil.which('chromium') or 'no'}"
    ]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MFA_REQUIRED = False
    settings.MEDIA_ROOT = tmp_path / "media"
    # no seal certificate unless a test makes one (tests/documents/test_seal.py)
    settings.SEAL_DIR = tmp_path / "seal"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.SECURE_SSL_REDIRECT = False
    settings.ACCOUNT_RATE_LIMITS = False
    # rate-limit counters live in the shared cache (Redis or the database): each test starts
    # with none
    from django.core.cache import cache

    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if uses_db:  # (the cache may be the database's)
        cache.clear()
    # Tasks run in-process unless a test starts a real worker (tests/test_jobs.py).
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
    # a request with the English interface leaves English active in this thread
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Side:
    """One district and its users, by role."""

    district: District
    users: dict[str, User] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)
    kecamatan: Kecamatan | None = None
    other_kecamatan: Kecamatan | None = None
    village: Village | None = None
    other_village: Village | None = None
    agency: Agency | None = None


@dataclass
class World:
    a: Side
    b: Side
    province_viewer_a: User
    province_viewer_b: User
    national_viewer: User
    national_admin: User
    outsider: User

    def everyone(self):
        """(label, user) pairs for access tests."""
        pairs = [(f"a.{role}", user) for role, user in self.a.users.items()]
        pairs += [(f"b.{role}", user) for role, user in self.b.users.items()]
        pairs += [
            ("province_viewer_a", self.province_viewer_a),
            ("province_viewer_b", self.province_viewer_b),
            ("national_viewer", self.national_viewer),
            ("national_admin", self.national_admin),
            ("outsider", self.outsider),
        ]
        return pairs


def make_user(email, name="") -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=name or email)
    from accounts.services import ensure_verified_email

    ensure_verified_email(user)
    return user


def build_regions():
    from convergence.definitions import ensure_shipped_frameworks
    from outcomes.catalogue import ensure_catalogues

    # reference data from migrations is gone after a transactional test's flush
    ensure_shipped_frameworks()
    ensure_catalogues()
    return import_regions(parse_region_file(REGIONS_CSV.encode(), "regions.csv"))


@pytest.fixture
def regions(db):
    return build_regions()


def png_bytes(size=(64, 64), colour=(11, 110, 79)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _side(code, short, kec_codes, village_codes) -> Side:
    from django.core.files.base import ContentFile

    district = District.objects.get(code=code)
    district.emblem.save(f"{short}.png", ContentFile(png_bytes()), save=True)
    ensure_default_agencies(district)
    side = Side(district=district)
    side.kecamatan = Kecamatan.objects.get(code=kec_codes[0])
    side.other_kecamatan = Kecamatan.objects.get(code=kec_codes[1])
    side.village = Village.objects.get(code=village_codes[0])
    side.other_village = Village.objects.get(code=village_codes[1])
    side.agency = Agency.objects.get(district=district, short_name="DINKES")
    scopes = {
        Role.DISTRICT_ADMIN: {},
        Role.OPD_STAFF: {"agency": side.agency},
        Role.EXECUTIVE: {},
        Role.CAMAT: {"kecamatan": side.kecamatan},
        Role.VILLAGE_HEAD: {"village": side.village},
        Role.KPM: {"village": side.village},
    }
    for role, scope in scopes.items():
        user = make_user(f"{role.value}@{short}.test", f"{role.label} {short}")
        side.users[role.value] = user
        side.memberships[role.value] = grant_membership(
            user=user, role=role, district=district, **scope
        )
    return side


@pytest.fixture
def world(regions) -> World:
    return build_world()


def build_world() -> World:
    """The world, on the regions of `build_regions()` (the `world` fixture; a module that
    builds it once uses this)."""
    from villages.models import Province

    with scopes_disabled():
        a = _side("32.11", "sumedang", ["32.11.01", "32.11.02"], ["32.11.01.2001", "32.11.02.2001"])
        b = _side("53.02", "tts", ["53.02.02", "53.02.01"], ["53.02.02.2001", "53.02.01.1001"])
        pv_a = make_user("provinsi@jabar.test")
        grant_membership(
            user=pv_a, role=Role.PROVINCE_VIEWER, province=Province.objects.get(code="32")
        )
        pv_b = make_user("provinsi@ntt.test")
        grant_membership(
            user=pv_b, role=Role.PROVINCE_VIEWER, province=Province.objects.get(code="53")
        )
        nv = make_user("nasional@kemendagri.test")
        grant_membership(user=nv, role=Role.NATIONAL_VIEWER)
        na = make_user("admin@nasional.test")
        grant_membership(user=na, role=Role.NATIONAL_ADMIN)
        outsider = make_user("orang@luar.test")
    return World(a, b, pv_a, pv_b, nv, na, outsider)


@contextmanager
def world_for_module(django_db_blocker, tmp_path_factory, **overrides):
    """The regions and the world built once for a module (the URL walk, the bad-input
    catalogue), inside a transaction rolled back when the module is done, with tasks run
    in-process and the files stored in a media folder of its own: yields (world, media).
    `overrides`: settings the module's world needs besides those."""
    from django.db import transaction
    from django.test import override_settings

    media = tmp_path_factory.mktemp("media")
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # as in every test (_test_settings)
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(
                MEDIA_ROOT=media,
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                **overrides,
            ),
            transaction.atomic(),
        ):
            build_regions()
            yield build_world(), media
            transaction.set_rollback(True)
    finally:
        celery_app.conf.task_always_eager = eager


def project_folders() -> list[str]:
    """The project's own code folders: every installed app of this checkout (from Django's
    app registry, so a new app is not forgotten) and lib/ and config/."""
    from django.apps import apps

    root = Path(__file__).resolve().parents[1]
    # the project's apps are the top-level folders of the checkout (not .venv's packages)
    return [
        *(config.name for config in apps.get_app_configs() if Path(config.path).parent == root),
        "lib",
        "config",
    ]


def need(condition: bool, reason: str):
    """Skip with a stated reason when a service is missing; in CI (CI_REQUIRE_SERVICES=1) a
    missing service is a failure, so that nothing is silently skipped there."""
    if condition:
        return
    if os.environ.get("CI_REQUIRE_SERVICES"):
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


# poppler-utils reads rendered PDFs back: text, page sizes, images, the QR code as PNG
POPPLER = ("pdftotext", "pdftoppm", "pdfinfo", "pdfimages")


def need_poppler():
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    need(not missing, f"needs poppler-utils ({', '.join(missing)}): apt-get install poppler-utils")


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    need(bool(url), "needs Redis: set REDIS_URL (the .ci/run script does)")
    return url


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    need(path is not None, "needs Debian's chromium (apt-get install chromium)")
    return path


@pytest.fixture
def postgres(settings):
    need(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "needs PostgreSQL: set DATABASE_URL (the .ci/run script does)",
    )


def use_broker(url: str) -> None:
    """Send this process's tasks to `url` from now on: the app keeps a pool of connections to
    the broker it first used (kombu's pools, process-wide), so the pools go with the address."""
    from kombu import pools

    celery_app.conf.broker_url = url
    pools.reset()
    celery_app._pool = None
    amqp = vars(celery_app).get("amqp")  # a cached property, there once used
    if amqp is not None:
        amqp._producer_pool = None


def _forget_result_backend():
    # an earlier worker test may have left the app holding its "no results" backend
    celery_app._backend_cache = None
    vars(celery_app._local).pop("backend", None)


@contextmanager
def tasks_sent_to(url: str, *, results: bool = True):
    """Tasks sent to the broker at `url` for real (not run in-process), with results kept in
    it so that a test can wait for them (`results`; production keeps none); as before
    afterwards."""
    saved = (
        celery_app.conf.task_always_eager,
        celery_app.conf.broker_url,
        celery_app.conf.result_backend,
    )
    celery_app.conf.task_always_eager = False
    use_broker(url)
    celery_app.conf.result_backend = url if results else None
    _forget_result_backend()
    try:
        yield celery_app
    finally:
        celery_app.conf.task_always_eager, broker_url, celery_app.conf.result_backend = saved
        use_broker(broker_url)
        _forget_result_backend()


@pytest.fixture
def celery_broker(redis_url):
    """Tasks sent to Redis for real. The worker is `celery_worker`, or a separate process
    where a test must kill it (tests/documents/test_jobs.py)."""
    with tasks_sent_to(redis_url):
        celery_app.control.purge()  # messages an interrupted earlier run left in the queues
        yield celery_app


@pytest.fixture
def celery_worker(celery_broker):
    """A real Celery worker, in a thread of this process (solo pool), on Redis, consuming
    every queue of the project (`celery`, the default, and `pdf`). The one fixture of the job tests;
    tests/documents/test_jobs.py starts separate worker processes where a worker must be
    killed."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        celery_broker,
        perform_ping_check=False,
        pool="solo",
        loglevel="WARNING",
        shutdown_timeout=30,
        queues=["celery", "pdf"],
    ):
        yield celery_broker


@pytest.fixture
def workers(tmp_path):
    """Start real worker processes (tests/workers.py) with `workers(name, broker=…)` (and
    `time_limit=`, `visibility=` for a slower job); all are stopped afterwards."""
    from tests.workers import WorkerProcess

    started: list[WorkerProcess] = []

    def start(name: str, *, broker: str, **limits) -> WorkerProcess:
        worker = WorkerProcess(name, broker=broker, log_dir=tmp_path, **limits)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
