"""The bad-input catalogue: every form of the portal gets malformed, oversized and hostile
values, and must answer with a clear refusal (the form again with its error, 400, or a redirect
with an error message; never a 500) and write nothing.

The forms are not listed by hand: they are found the way a user finds them. Every page of
district A (and the national pages) is opened as the district or national admin, and every
`<form method="post">` on it is read as a browser reads it: its fields, their types and the
values it would send. That submission is the valid base; each case then replaces ONE field by a
bad value of its kind (VARIANTS below) and checks the answer and that no table changed (a
fingerprint of every row of every table, before and after, in the request's transaction).

A POST view that no page offers a form for must be named in NOT_ON_A_PAGE with the reason (and
be covered elsewhere), so that a new form joins the catalogue by being put on a page, or fails
here. The uploads and imports get crafted files in tests/security/test_upload_checks.py.
"""

import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms import BaseForm
from django.urls import Resolver404, resolve, reverse

from tests.accounts.test_url_access import _holder_of, _signed_in, own_patterns, url_kwargs
from tests.security import files

pytestmark = pytest.mark.django_db

# One bad value per line: (label, value). The overlong text is past every limit of the portal
# (the largest, a pasted list, is 1,000,000 characters) and under DATA_UPLOAD_MAX_MEMORY_SIZE.
TEXT_VARIANTS = [
    ("nul", "Desa\x00Cimungkal"),
    ("overlong", "x" * 1_000_001),
]
NUMBER_VARIANTS = [
    ("not-a-number", "dua puluh"),
    ("negative", "-7"),
    ("huge", "9" * 30),
]
DATE_VARIANTS = [
    ("impossible-date", "2026-02-30"),
    ("not-a-date", "besok"),
    ("far-year", "99999-01-01"),
]
CHOICE_VARIANTS = [
    ("unknown-choice", "tidak-ada"),
    ("huge-id", "9" * 30),
    ("negative-id", "-1"),
]
# Files: (label, name, content, declared type, only for the imports). None of them is what it
# says, or each is past a limit; MAX_UPLOAD_BYTES is lowered to 64 KB for the oversized one.
XLSX_TYPE = files.XLSX_TYPE
SMALL_LIMIT = 64 * 1024
FILE_VARIANTS = [
    ("html-named-pdf", "laporan.pdf", files.HTML, "application/pdf", False),
    ("exe-named-png", "foto.png", files.EXE, "image/png", False),
    ("empty", "kosong.pdf", b"", "application/pdf", False),
    ("oversized", "besar.pdf", b"%PDF-1.4\n" + b"0" * SMALL_LIMIT, "application/pdf", False),
    ("xlsx-nine-million-rows", "data.xlsx", files.xlsx_declaring("A1:B9000000"), XLSX_TYPE, 1),
    ("xlsx-16384-columns", "data.xlsx", files.xlsx_declaring("A1:XFD2"), XLSX_TYPE, True),
    ("xlsx-bomb", "data.xlsx", files.xlsx_bomb(), XLSX_TYPE, True),
]
VARIANTS = {
    "file": [(v[0], v) for v in FILE_VARIANTS],
    "text": TEXT_VARIANTS,
    "number": NUMBER_VARIANTS,
    "date": DATE_VARIANTS,
    "datetime": [("impossible-date", "2026-02-30T10:00"), ("not-a-date", "besok pagi")],
    "choice": CHOICE_VARIANTS,
}

# POST views no page of the walk's world offers a form for (the world has one object of each
# kind, in one state: a sent report, a verified deliverable, a signed document), posted to
# directly with the fields their forms send: {field: kind or a fixed value}.
DIRECT = {
    "commitment_sign": {"password": "text", "agree": "on", "content_sha256": "0" * 64},
    "deliverable_link": {"record": "choice"},
    "deliverable_unlink": {"link": "choice"},
    "deliverable_return": {"reason": "text", "happened_on": "date"},
    "deliverable_verify": {"happened_on": "date"},
    "follow_up_verify": {"accept": "choice", "verdict": "text"},
    "job_retry": {"next": "choice"},
    "recap_accept": {"remark": "text"},
    "recap_return": {"remark": "text"},
    "rembuk_walk_ins_remove": {"participant": "choice", "semua": "choice"},
    "report_on_behalf": {"keputusan": "choice", "remark": "text", "tanggal_sebenarnya": "date"},
    "report_upload": {"slot": "choice"},
    "report_correct": {},
    "signatory_move": {"arah": "choice"},
    "village_report_save": {"tanggal_sebenarnya": "date", "kirim": "1", "t_pregnant": "number"},
}
# POST views with no input at all (a button), and public forms tested where named.
NOT_ON_A_PAGE = {
    "invitation_accept": "public, by an e-mailed token: tests/accounts/test_invitations.py",
    "mfa_enrol_request": "the MFA set-up before any district: tests/accounts/test_mfa_enrolment.py",
    "mfa_enrol_confirm": "an e-mailed one-time link: tests/accounts/test_mfa_enrolment.py",
    "rembuk_checkin": "public, by the session's QR token: test_public_forms below",
    "document_verify": "public: test_public_forms below",
    "commitment_open": "a button",
    "commitment_retry": "a button",
    "framework_delete": "a button",
    "framework_publish": "a button",
    "outcome_import_preview": "a confirmation button: tests/security/test_upload_checks.py",
    "national_outcome_import_preview": (
        "a confirmation button: tests/security/test_upload_checks.py"
    ),
    "paper_batch": "the confirmation of a read batch: tests/commitments/test_paper_batch.py",
    "report_file_remove": "a button",
    "signatory_remove": "a button",
    **{name: "posted to directly (DIRECT)" for name in DIRECT},
}
# Fields that are not the user's input: the form's keys and tokens, sent as the page gave them.
CARRIED = {"csrfmiddlewaretoken", "once", "edit_token", "next", "content_sha256"}


@dataclass
class Field:
    name: str
    kind: str  # text | number | date | datetime | choice | file | hidden | submit
    value: str | None = None
    options: list = field(default_factory=list)


@dataclass
class Form:
    action: str
    fields: list[Field] = field(default_factory=list)
    page: str = ""

    def base(self) -> dict:
        """What a browser sends when the form is submitted as it was shown (the first named
        submit button pressed)."""
        data: dict[str, list] = {}
        pressed = False
        for f in self.fields:
            if f.kind == "file" or f.value is None:
                continue
            if f.kind == "submit":
                if pressed:
                    continue
                pressed = True
            data.setdefault(f.name, []).append(f.value)
        return data


INPUT_KINDS = {
    "number": "number",
    "date": "date",
    "datetime-local": "datetime",
    "hidden": "hidden",
    "file": "file",
    "submit": "submit",
    "checkbox": "choice",
    "radio": "choice",
}


class FormReader(HTMLParser):
    """The POST forms of a page with their fields, as a browser would submit them."""

    def __init__(self, page):
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Field | None = None
        self.textarea: Field | None = None
        self.option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self.form = Form(action=a.get("action") or self.page, page=self.page)
                self.forms.append(self.form)
            return
        if self.form is None or not a.get("name") or "disabled" in a:
            if tag == "option" and self.select is not None:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = INPUT_KINDS.get((a.get("type") or "text").lower(), "text")
            value = a.get("value", "on" if kind == "choice" else "")
            if kind == "choice":
                existing = next((f for f in self.form.fields if f.name == name), None)
                if existing is None:
                    existing = Field(name, "choice")
                    self.form.fields.append(existing)
                existing.options.append(value)
                if "checked" in a:
                    self.form.fields.append(Field(name, "checked", value))
                return
            if kind == "submit" and not a.get("value"):
                return
            self.form.fields.append(Field(name, kind, value))
        elif tag == "button" and (a.get("type") or "submit") == "submit":
            self.form.fields.append(Field(name, "submit", a.get("value", "")))
        elif tag == "textarea":
            self.textarea = Field(name, "text", "")
            self.form.fields.append(self.textarea)
        elif tag == "select":
            self.select = Field(name, "choice", None)
            self.select.multiple = "multiple" in a
            self.form.fields.append(self.select)

    def _option(self, a):
        value = a.get("value", "")
        self.select.options.append(value)
        if "selected" in a or (self.select.value is None and not self.select.multiple):
            self.select.value = value

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def read_forms(page: str, html: str) -> list[Form]:
    reader = FormReader(page)
    reader.feed(html)
    forms = []
    for form in reader.forms:
        # checked boxes and radios are values to send; the choice itself is what we vary
        for f in list(form.fields):
            if f.kind == "checked":
                form.fields.remove(f)
                form.fields.append(Field(f.name, "sent", f.value))
        forms.append(form)
    return forms


# ---------------------------------------------------------------------------------------------
# the database fingerprint


def _tables() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    # the session rows (allauth's user session notes the last visit) and the cache change on
    # any request, refused or not
    every_request = {"django_session", "usersessions_usersession", "konvergensi_cache"}
    return [n for n in names if n not in every_request]


def fingerprint(tables) -> dict[str, str]:
    """Each table's row count and a hash of all its rows, in one query (PostgreSQL's md5 and
    string_agg: the test needs PostgreSQL, as CI runs it)."""
    # (the table names are the database's own, from introspection)
    row_hash = "coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '')"
    parts = [f"SELECT '{t}', count(*)::text || ':' || {row_hash} FROM \"{t}\" x" for t in tables]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


def changed(before, after) -> list[str]:
    return sorted(t for t in before if before[t] != after.get(t))


# ---------------------------------------------------------------------------------------------
# discovery: every POST form on every page


def _pages(world, values, user):
    """The GET pages `user` may open: those of district A, or the national ones for the
    national admin, with the URL arguments of the URL walk."""
    kind = "national" if user == world.national_admin else "district"
    for p in own_patterns():
        rule = p.callback.access_rule
        if "GET" in rule.methods and rule.kind == kind:
            yield reverse(p.name, kwargs=url_kwargs(p, world, world.a, values=values["a"]))


@dataclass
class Target:
    route: str
    form: Form
    user: object


def _post_routes():
    return {p.name: p for p in own_patterns() if "POST" in p.callback.access_rule.methods}


@pytest.fixture(scope="module")
def targets(_built, django_db_blocker):
    """Every POST form found on a page, by the name of the view it posts to: one form per
    route (the first found), opened by the user who may send it."""
    from django.test import Client

    world, values, _media = _built
    routes = _post_routes()
    found: dict[str, Target] = {}
    client = Client()
    with django_db_blocker.unblock():
        # the admins first; then each other role of A for what only it is shown (the village
        # head's report form, the camat's verification, the province's assessment)
        users = [world.a.users["district_admin"], world.national_admin]
        users += [u for u in world.a.users.values() if u not in users]
        users.append(world.province_viewer_a)
        for user in users:
            if not set(routes) - set(found) - set(NOT_ON_A_PAGE):
                break
            _signed_in(client, user)
            for url in _pages(world, values, user):
                with transaction.atomic():
                    response = client.get(url)
                    transaction.set_rollback(True)
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                for form in read_forms(url, response.content.decode()):
                    try:
                        match = resolve(urlsplit(form.action).path)
                    except Resolver404:
                        continue
                    if match.url_name in routes and match.url_name not in found:
                        found[match.url_name] = Target(match.url_name, form, user)
    for route, fields in DIRECT.items():
        pattern = next(p for p in own_patterns() if p.name == route)
        url = reverse(route, kwargs=url_kwargs(pattern, world, world.a, values=values["a"]))
        form = Form(action=url, page="(posted directly)")
        for name, kind in fields.items():
            if kind in VARIANTS:
                value = {"text": "Catatan", "date": "2026-03-02", "number": "3"}.get(kind, "x")
                form.fields.append(Field(name, kind, value, options=[value]))
            else:
                form.fields.append(Field(name, "sent", kind))
        rule = pattern.callback.access_rule
        holder = _holder_of(rule.permission, world)
        if route in ("village_report_save", "report_upload"):
            holder = world.a.users["village_head"]
        elif rule.permission == "villages.verify":
            holder = world.a.users["camat"]
        found.setdefault(route, Target(route, form, holder))
    return found


def test_every_post_view_has_a_form_on_a_page_or_a_reason(targets):
    missing = set(_post_routes()) - set(targets) - set(NOT_ON_A_PAGE)
    assert not missing, (
        f"POST views without a form on any page of the walk: {sorted(missing)}; put the form on "
        "a page (it is then fuzzed here) or name the view in NOT_ON_A_PAGE with where its input "
        "is tested"
    )
    assert len(targets) > 60


# ---------------------------------------------------------------------------------------------
# the cases


@dataclass(frozen=True)
class Case:
    route: str
    field: str
    kind: str
    label: str
    value: object

    def posted(self):
        if self.kind != "file":
            return [self.value]
        _label, name, content, content_type, _imports = self.value
        return [SimpleUploadedFile(name, content, content_type=content_type)]


def _cases(targets) -> list[Case]:
    cases = []
    for route, target in sorted(targets.items()):
        seen = set()
        for f in target.form.fields:
            if f.name in CARRIED or f.name in seen or f.kind not in VARIANTS:
                continue
            seen.add(f.name)
            for label, value in VARIANTS[f.kind]:
                if f.kind == "file" and value[4] and "import" not in route:
                    continue  # (an XLSX is good evidence: only an import reads it)
                if f.kind == "choice" and (value in f.options or f.options == ["on"]):
                    continue  # (a single checkbox is a yes or no: any value is one)
                cases.append(Case(route, f.name, f.kind, label, value))
    return cases


def _refusal_shown(response) -> bool:
    """The answer says what is wrong: 400, a form shown again with its errors, a page listing
    errors, or a redirect carrying an error or warning message."""
    if response.status_code == 400:
        return True
    storage = getattr(response.wsgi_request, "_messages", None)
    # (the messages a rendered page showed have moved from the queue to the loaded list)
    added = [*getattr(storage, "_queued_messages", []), *getattr(storage, "_loaded_messages", [])]
    if any(m.level >= messages.WARNING for m in added):
        return True
    if response.status_code != 200 or response.context is None:
        return False
    for context in response.context:
        for key, value in context.flatten().items():
            if isinstance(value, BaseForm) and value.is_bound and value.errors:
                return True
            if "error" in str(key).lower() and value:
                return True
    return False


def _stored_files() -> int:
    return sum(len(names) for _dir, _subdirs, names in os.walk(settings.MEDIA_ROOT))


def _post(client, user, url, data, before: dict):
    """POST `data` as `user` in a transaction rolled back afterwards: (response, the error
    the view raised, what it wrote). Every request meets the same world, so `before` (the
    fingerprint) is taken once, after every user has signed in (a first sign-in notes the
    user's last login); stored files stay on disk after a rollback, so they are counted for
    each request."""
    _signed_in(client, user)
    stored = _stored_files()
    with transaction.atomic():
        try:
            response = client.post(url, data)
        except Exception as exc:  # noqa: BLE001 (the test client re-raises the view's error)
            transaction.set_rollback(True)
            return None, f"{type(exc).__name__}: {str(exc)[:200]}", []
        after = fingerprint(list(before))
        transaction.set_rollback(True)
    written = changed(before, after)
    if _stored_files() != stored:
        written.append("files under MEDIA_ROOT")
    return response, None, written


def test_every_form_refuses_malformed_and_oversized_values(
    client, world, targets, settings, postgres
):
    """Each bad value: no 500, nothing written. Where the form as shown does write something
    (it is effective), the bad value must also be refused with a message; where even the form
    as shown writes nothing (a choice left empty, an object in a state that refuses the action)
    the bad value must at least change nothing and break nothing."""
    settings.MAX_UPLOAD_BYTES = SMALL_LIMIT
    cases = _cases(targets)
    assert len(cases) > 150
    for target in targets.values():
        _signed_in(client, target.user)
    baseline = fingerprint(_tables())
    effective = {}
    for route, target in targets.items():
        response, error, written = _post(
            client, target.user, target.form.action, target.form.base(), baseline
        )
        assert error is None, f"{route}: the form as shown fails: {error}"
        effective[route] = bool(written)
    failures = []
    for case in cases:
        target = targets[case.route]
        data = target.form.base()
        data[case.field] = case.posted()
        response, error, written = _post(client, target.user, target.form.action, data, baseline)
        where = f"{case.route} [{case.field}={case.label}] ({target.form.page})"
        if error:
            failures.append(f"{where}: 500 {error}")
        elif response.status_code >= 500:
            failures.append(f"{where}: {response.status_code}")
        elif written:
            failures.append(f"{where}: {response.status_code}, wrote {written}")
        elif response.status_code not in (200, 302, 400):
            failures.append(f"{where}: {response.status_code}")
        elif effective[case.route] and not _refusal_shown(response):
            failures.append(f"{where}: {response.status_code} without a message")
    assert not failures, f"{len(failures)} of {len(cases)}:\n" + "\n".join(failures)
