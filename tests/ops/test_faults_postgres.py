"""PostgreSQL restarts while gunicorn runs (issue 16, faults): the next requests succeed without
restarting the app.

The machine's shared PostgreSQL is left alone: the test starts a cluster of its own (initdb in
a temporary folder, a free port), loads the test database into it (pg_dump of the migrated
test database, with this test's world: the same schema as `migrate` makes, in a second rather
than the half-minute `migrate` takes), and serves it with gunicorn (production settings, two
sync workers, persistent connections: DB_CONN_MAX_AGE=600). `pg_ctl restart -m fast` then
ends every session: each worker holds a connection that is dead. Django's health check
(conn_health_checks=True in config/settings.py) finds it dead at the start of the next request
and connects again, so no request after the restart fails. While the server is down (about a
second here) the pages answer 500 at once, and the workers stay up."""

import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD, need
from tests.convergence.objects import year_for
from tests.servers import Gunicorn, PrivatePostgres, log_in, postgres_binaries, production_env
from tests.workers import database_url_of_this_test

YEAR = 2026
DATABASE = "konvergensi"


@pytest.fixture
def private_postgres():
    binaries = postgres_binaries()
    need(
        binaries is not None,
        "needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb) to start a "
        "cluster of the test's own: apt-get install postgresql",
    )
    server = PrivatePostgres(binaries)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


def copy_test_database(server: PrivatePostgres):
    server.create_database(DATABASE)
    dump = subprocess.run(  # noqa: S603
        [
            str(server.binaries / "pg_dump"),
            "--no-owner",
            "--no-privileges",
            "--dbname",
            database_url_of_this_test(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(  # noqa: S603
        [
            str(server.binaries / "psql"),
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--dbname",
            server.url(DATABASE),
        ],
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=60,
    )


def backends(server: PrivatePostgres) -> set[int]:
    """The pids of the server processes serving client connections to the portal's database
    (other than this query's)."""
    found = subprocess.run(  # noqa: S603
        [
            str(server.binaries / "psql"),
            "--no-align",
            "--tuples-only",
            "--dbname",
            server.url(DATABASE),
            "--command",
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return {int(pid) for pid in found.stdout.split()}


def gunicorn_workers(web: Gunicorn) -> set[int]:
    pid = web.process.pid
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_postgresql_restarts_the_next_requests_succeed_without_restarting_gunicorn(
    world, postgres, private_postgres, tmp_path, settings
):
    side = world.a
    year_for(side, YEAR)
    admin = side.users["district_admin"]
    # gunicorn runs production's password hashers (the test suite's MD5 is not among them)
    User.objects.filter(pk=admin.pk).update(
        password=make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    )
    copy_test_database(private_postgres)
    env = production_env(
        DATABASE_URL=private_postgres.url(DATABASE),
        DB_CONN_MAX_AGE="600",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    env.pop("REDIS_URL", None)  # the database cache and sessions: every request needs PostgreSQL
    web = Gunicorn(tmp_path, env, workers=2)
    try:
        session = log_in(web.url, admin.email, PASSWORD)
        assert session.login_response.status_code == 302
        cookies = session.cookies.get_dict()
        pages = [
            reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})
            for name, kwargs in (
                ("district_home", {}),
                ("district_dashboard", {}),
                ("board", {"year": YEAR}),
            )
        ]

        def burst(n: int) -> list[int]:
            """n requests, two at a time (both workers answer), each on its own connection."""
            statuses = []

            def one(i):
                answer = requests.get(
                    web.url + pages[i % len(pages)],
                    cookies=cookies,
                    allow_redirects=False,
                    timeout=30,
                )
                statuses.append(answer.status_code)

            for i in range(0, n, 2):
                pair = [threading.Thread(target=one, args=(i + j,)) for j in range(2)]
                for t in pair:
                    t.start()
                for t in pair:
                    t.join()
            return statuses

        # both workers keep a connection open between requests (CONN_MAX_AGE)
        deadline = time.monotonic() + 20
        while len(before := backends(private_postgres)) < 2 and time.monotonic() < deadline:
            assert set(burst(4)) == {200}
        assert len(before) == 2, before
        workers = gunicorn_workers(web)
        assert len(workers) == 2

        # a quiet restart: the next requests are the first each worker makes on its dead
        # connection; the health check replaces it (without it, each worker's first one is a
        # 500: the connection is found dead only by the query that fails)
        private_postgres.restart()
        assert not backends(private_postgres) & before  # every old session was ended
        after = burst(12)
        assert after == [200] * 12, (after, web.tail())
        assert gunicorn_workers(web) == workers  # the same workers: none restarted
        assert len(backends(private_postgres)) == 2  # each connected again, and kept it

        # a restart under a client asking all along: while the server is down (about a second)
        # the pages answer 500 at once, nothing hangs, and the next requests succeed
        during, asking = [], threading.Event()
        asking.set()

        def keep_asking():
            while asking.is_set():
                started = time.monotonic()
                try:
                    answer = requests.get(
                        web.url + pages[1], cookies=cookies, allow_redirects=False, timeout=30
                    )
                    during.append((answer.status_code, time.monotonic() - started))
                except requests.RequestException as exc:
                    during.append((type(exc).__name__, time.monotonic() - started))

        client = threading.Thread(target=keep_asking)
        client.start()
        try:
            private_postgres.restart()
        finally:
            asking.clear()
            client.join(60)
        print(f"\nduring a restart: {[(s, round(t, 3)) for s, t in during]}")
        assert {s for s, _t in during} <= {200, 500}, during
        assert all(t < 5 for _s, t in during), during
        assert burst(6) == [200] * 6
        assert gunicorn_workers(web) == workers
    finally:
        web.stop()
