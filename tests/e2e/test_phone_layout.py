"""In Chromium at 360×740: every page that each role can open fits the phone. No page scrolls
sideways and no table cell is hidden or cut off at the edge.

The pages are not a hand list. They come from the URL patterns and the objects that the
URL-walking test builds (tests/accounts/test_url_access.py). Each role visits every GET page
that the policy lets it open. File downloads (PDF, XLSX, CSV, images) are left out, judged by
the response's content type. One browser is used, with one logged-in context per role."""

import time
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.enrolment import make_link_token
from tests.accounts.test_url_access import (
    expected_district_status,
    own_patterns,
    url_kwargs,
    url_values,
    walk,
)
from tests.e2e.conftest import shot
from tests.e2e.test_convergence_journey import login, sideways

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "id-ID"}
WIDTH = PHONE["viewport"]["width"]
ROLES = ["district_admin", "opd_staff", "executive", "camat", "village_head", "kpm"]
# The walk takes about 100 s on two busy cores (about 265 pages); the limit keeps it within
# the CI budget, e.g. should someone add a screenshot of every page.
TIME_LIMIT = 240
REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "phone-walk.txt"

# Table cells that a phone user cannot read: hidden (no box) or sticking out of the screen,
# also when a scrolling wrapper keeps the page itself narrow. A table restyled into stacked
# cards (its display is no longer `table`) may hide its header row only if every body cell
# carries the header's words in data-label (shown by the stylesheet).
CELLS = """(limit) => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const problems = [];
  for (const table of document.querySelectorAll('table')) {
    const stacked = getComputedStyle(table).display !== 'table';
    for (const cell of table.querySelectorAll('th, td')) {
      const text = `${cell.tagName.toLowerCase()} "${cell.textContent.trim().slice(0, 40)}"`;
      if (stacked && cell.closest('thead')) continue;
      if (stacked && cell.tagName === 'TD' && !cell.hasAttribute('data-label')) {
        problems.push(`${text} has no data-label in a stacked table`);
        continue;
      }
      const box = cell.getBoundingClientRect();
      if (box.width < 1 || box.height < 1) {
        problems.push(`${text} is hidden`);
      } else if (box.left < -1 || box.right > limit + 1) {
        problems.push(`${text} is cut off (${Math.round(box.left)}..${Math.round(box.right)})`);
      }
    }
  }
  return [document.documentElement.scrollWidth, problems.slice(0, 6)];
}"""


def is_html(response):
    kind = response.headers.get("content-type", "")
    attachment = "attachment" in response.headers.get("content-disposition", "")
    return kind.startswith("text/html") and not attachment


def pages_of(label, user, world, values):
    """The GET pages that `user` may open, by URL name."""
    pages = []
    for p in own_patterns():
        rule = p.callback.access_rule
        if "GET" not in rule.methods:
            continue
        if rule.kind == "district":
            if expected_district_status(rule, label, user, world, "GET") != 200:
                continue
        elif rule.kind == "national":
            if label != "national_admin":
                continue
        elif rule.kind != "user":
            continue
        kwargs = url_kwargs(p, world, world.a, values=values)
        if p.name == "mfa_enrol_confirm":  # the e-mailed link is the user's own (a fake is 404)
            kwargs["token"] = make_link_token(user)
        pages.append((p.name, reverse(p.name, kwargs=kwargs)))
    return pages


def third_party_pages():
    """allauth's pages without URL arguments (login, password, MFA, sessions)."""
    return [
        (p.name, reverse(p.name))
        for p in walk()
        if p.callback.__module__.startswith("allauth") and not p.converters
    ]


def public_pages(values):
    """(name, path, status): a page named by a token answers 404 to an unknown one; the public
    index and a district's public page (no token) answer 200."""
    return [
        (
            p.name,
            reverse(p.name, kwargs={k: values[k] for k in p.converters}),
            200 if set(p.converters) <= {"district_slug"} else 404,
        )
        for p in own_patterns()
        if p.callback.access_rule.kind == "public"
    ]


def test_every_page_of_every_role_fits_a_phone(live_server, world, browser):
    started = time.monotonic()
    base = live_server.url
    values = url_values(world, world.a)
    people = [(role, world.a.users[role]) for role in ROLES]
    people += [("province_viewer_a", world.province_viewer_a)]
    people += [("national_admin", world.national_admin)]
    downloads = {}  # URL name -> whether it answers with a file instead of a page
    problems, visited = [], 0

    def check(page, who, name, path, status=200):
        nonlocal visited
        if name not in downloads:
            downloads[name] = not is_html(page.context.request.head(f"{base}{path}"))
        if downloads[name]:
            return
        response = page.goto(f"{base}{path}")
        if status is None:  # allauth answers some pages by the account's state (404, 302)
            assert response.status < 500, f"{who} GET {path}: {response.status}"
        else:
            assert response.status == status, f"{who} GET {path}: {response.status}"
        visited += 1
        width, found = page.evaluate(CELLS, WIDTH)
        if width > WIDTH:
            found.insert(0, sideways(page, WIDTH))
        if found:
            problems.append(f"{who} {name} {path}: " + "; ".join(found))
            shot(page, f"phone-{who}-{name}")

    anonymous = browser.new_context(**PHONE)
    page = anonymous.new_page()
    for name, path, status in public_pages(values):
        check(page, "anonymous", name, path, status=status)
    for name, path in third_party_pages():
        check(page, "anonymous", name, path, status=None)
    anonymous.close()

    for label, user in people:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        login(page, base, user.email)
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        for name, path in pages_of(label, user, world, values):
            check(page, label, name, path)
        if label == "district_admin":
            for name, path in third_party_pages():
                check(page, label, name, path, status=None)
        context.close()

    elapsed = time.monotonic() - started
    REPORT.write_text(f"{visited} pages by {len(people) + 1} users in {elapsed:.1f} s\n")
    assert visited > 250, visited
    assert not problems, f"{len(problems)} pages do not fit a 360 px phone:\n" + "\n".join(problems)
    assert elapsed < TIME_LIMIT, f"the walk took {elapsed:.0f} s"
