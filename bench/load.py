"""Load test (issue 13, national scale): the district pages under concurrent users, each beside
a bare reference view (/ping/) measured in the same run, on the database DATABASE_URL names.

    # 1. the data (once): bench/load_data.py, or `manage.py generate_dataset --scale national`
    createdb -h 127.0.0.1 -U postgres konvergensi_load
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konvergensi_load \\
        .venv/bin/python bench/load_data.py
    # 2. the load test (starts gunicorn itself on 127.0.0.1:8105 and stops it afterwards)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konvergensi_load \\
        REDIS_URL=redis://127.0.0.1:6379/0 make bench-load

Two phases, both with 20 concurrent users:
- latency: each user walks through every page (a random one each time) and waits 1–5 s
  between pages, as people do; p50 and p95 of each page;
- saturation: for each page in turn, 20 users ask for it with no waiting; requests per second.
Every figure is also given as a ratio to /ping/ measured in the same run (the reference's
throughput divided by the page's, the page's p95 divided by the reference's), so runs on
different machines compare. The goals (issue 13): every district page at saturation at least
1/10 of the reference's throughput; the district dashboard's p95 under 300 ms with 20 users.

The mix (issue 16, `--mix`, instead of the two phases): 20 users for 60 s, each waiting 1–5 s
(`--mix-wait`) between pages picked at random from every page above but /ping/ (the admin's,
the executive's, the village head's, the province and national viewers', the public page, the
440-signatory commitment); every answer but 2xx/3xx and every exception is an error; prints
requests, errors, median and p95 (all pages and each), and exits non-zero on any error:

    make bench-load BENCH_ARGS="--mix --workers 3"

It only ever talks to this machine: a --host other than 127.0.0.1 or localhost is refused,
and every phase is bounded in time and in requests (--max-requests per page and phase).

Gunicorn: 2 sync workers by default (--workers, --threads), as the issue's measurements (2
cores). The pages are CPU-bound Python (templates, then queries over loopback), so more
processes than cores only queue on the CPU; threads help only while a worker waits on the
database. The load generator (locust, gevent, one process) shares the machine: on 2 cores it
takes part of one, which lowers every figure alike and leaves the ratios comparable.

The accounts are seed_demo's (password konvergensi-demo-2026) and bench/load_data.py's
admin of the largest district; the province and national roll-ups and the public page are
measured when their URLs exist (other changes of issue 13) and skipped with a note otherwise.
"""

# locust patches the standard library with gevent: it is imported before anything else
import gevent  # noqa: I001
from locust import FastHttpUser, between, constant, task
from locust.env import Environment

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "konvergensi-demo-2026"  # noqa: S105 (seed_demo's printed demo password)
LOOPBACK = {"127.0.0.1", "localhost"}
SUMEDANG = "32.11"
ACCOUNTS = {
    "admin": "district.admin.sumedang@demo.konvergensi.id",
    "executive": "executive.sumedang@demo.konvergensi.id",
    "head": "village.head.sumedang@demo.konvergensi.id",
    "big": "admin.besar@bench.test",
    "province": "provinsi.jabar@demo.konvergensi.id",
    "national": "admin.nasional@demo.konvergensi.id",
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="http://127.0.0.1:8105")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--latency-seconds", type=int, default=90)
    p.add_argument("--saturation-seconds", type=int, default=10)
    p.add_argument("--max-requests", type=int, default=20_000, help="per page and phase")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-server", action="store_true", help="a gunicorn already listens on --host")
    p.add_argument(
        "--mix",
        action="store_true",
        help="instead of the two phases: --users users for --mix-seconds over a mix of every "
        "page (not /ping/), counting errors (any answer but 2xx/3xx, any exception)",
    )
    p.add_argument("--mix-seconds", type=int, default=60)
    p.add_argument(
        "--mix-wait",
        type=float,
        nargs=2,
        default=(1.0, 5.0),
        metavar=("MIN", "MAX"),
        help="seconds each user waits between pages in the mix (default 1 5)",
    )
    return p.parse_args()


def check_loopback(host: str) -> None:
    name = urlsplit(host).hostname
    if name not in LOOPBACK:
        sys.exit(f"refused: {host} is not this machine (only 127.0.0.1 or localhost)")


# --- What to measure: found in the database -----------------------------------------------


def find_pages():
    """(label, account, path) of every page, from the data; notes for what is skipped."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.db.models import Count, Q
    from django.urls import Resolver404, resolve
    from django_scopes import scopes_disabled

    from accounts.models import Membership
    from commitments.models import CommitmentDocument
    from convergence.models import DistrictYear
    from village_reports.models import ReportPeriod
    from villages.models import District

    notes = []
    with scopes_disabled():
        sumedang = District.objects.get(code=SUMEDANG)
        big = (
            District.objects.active()
            .annotate(n=Count("villages", filter=Q(villages__retired_at__isnull=True)))
            .order_by("-n", "code")
            .first()
        )
        year = (
            DistrictYear.objects.filter(district=sumedang)
            .order_by("-year")
            .values_list("year", flat=True)
        ).first()
        period = (
            ReportPeriod.objects.filter(district=big, kind="scorecard")
            .order_by("-year", "number")
            .first()
        )
        document = (
            CommitmentDocument.objects.filter(district=sumedang)
            .annotate(n=Count("versions__signatories"))
            .order_by("-n")
            .first()
        )
        head_village = (
            Membership.objects.filter(user__email=ACCOUNTS["head"], district=sumedang)
            .values_list("village_id", flat=True)
            .first()
        )
        pages = [
            ("reference /ping/", None, "/ping/"),
            ("district home (executive)", "executive", f"/{sumedang.slug}/"),
            ("district dashboard", "admin", f"/{sumedang.slug}/dasbor/"),
            ("district profile (empty page)", "admin", f"/{sumedang.slug}/profil/"),
            # the district home sends a village head here
            ("village head's home", "head", f"/{sumedang.slug}/desa/{head_village}/"),
        ]
        if year:
            pages.append(("board", "admin", f"/{sumedang.slug}/konvergensi/{year}/"))
        else:
            notes.append("board: no convergence year in Sumedang (seed_demo not run?)")
        if period:
            pages.append(
                (
                    f"completeness, {big.n} villages",
                    "big",
                    f"/{big.slug}/laporan-desa/{period.pk}/",
                )
            )
        if document:
            pages.append(
                (
                    f"commitment, {document.n} signatories",
                    "admin",
                    f"/{sumedang.slug}/komitmen/{document.pk}/",
                )
            )
        for label, account, path, slug_word in (
            ("province dashboard", "province", f"/provinsi/{sumedang.province.code}/", "provinsi"),
            ("national roll-up", "national", "/nasional/provinsi/", "nasional"),
            ("public page", None, f"/publik/{sumedang.slug}/", "publik"),
        ):
            try:
                match = resolve(path)
            except Resolver404:
                match = None
            if match is None or match.kwargs.get("district_slug") == slug_word:
                notes.append(f"{label}: {path} does not exist in this version; skipped")
            else:
                pages.append((label, account, path))
    return pages, notes


# --- The server ----------------------------------------------------------------------------


def start_server(host, workers, threads):
    port = urlsplit(host).port or 80
    env = {
        **os.environ,
        # production settings, minus what needs TLS or a proxy in front
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-load-only-" + "x" * 40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "STATIC_MANIFEST": "false",
        "MFA_REQUIRED": "false",  # the demo accounts have no TOTP
        "RATE_LIMITS_ENABLED": "false",  # logging in the accounts
    }
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "config.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=" + ("gthread" if threads > 1 else "sync"),
        "--backlog=256",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    import urllib.request

    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{host}/ping/", timeout=1):  # noqa: S310 (loopback)
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer /ping/")


def stop_server(server):
    if server is not None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


# --- Logging in ----------------------------------------------------------------------------


def log_in(host, email):
    """A session cookie for `email` (the login form, with its CSRF token)."""
    import requests

    s = requests.Session()
    page = s.get(f"{host}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = s.post(
        f"{host}/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{host}/accounts/login/"},
        timeout=10,
        allow_redirects=False,
    )
    if answer.status_code != 302 or "sessionid" not in s.cookies:
        sys.exit(f"could not log in {email}: {answer.status_code}")
    return f"sessionid={s.cookies['sessionid']}"


# --- The two phases ------------------------------------------------------------------------


def run_phase(
    host, users, pages, cookies, *, seconds, wait, max_requests, wait_range=(1, 5), accept=(200,)
):
    """Run `users` locust users over `pages` for `seconds` (or until each page had
    max_requests), each waiting `wait_range` seconds between pages when `wait`; an answer
    whose status is not in `accept` (or no answer: status 0) is a failure. Returns the locust
    stats and the seconds it ran."""

    class Visitor(FastHttpUser):
        wait_time = between(*wait_range) if wait else constant(0)

        @task
        def visit(self):
            label, account, path = random.choice(pages)  # noqa: S311 (not cryptography)
            headers = {"Cookie": cookies[account]} if account else {}
            with self.client.get(
                path, name=label, headers=headers, catch_response=True, allow_redirects=False
            ) as response:
                if response.status_code not in accept:
                    response.failure(f"{response.status_code} {response.error or ''}".strip())

    Visitor.host = host
    env = Environment(user_classes=[Visitor])
    runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(users, spawn_rate=users)
    deadline = started + seconds
    while time.monotonic() < deadline:
        gevent.sleep(0.2)
        if all(env.stats.get(p[0], "GET").num_requests >= max_requests for p in pages):
            break
    runner.quit()
    return env.stats, time.monotonic() - started


def main():
    args = parse_args()
    check_loopback(args.host)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to the PostgreSQL database built by bench/load_data.py")
    pages, notes = find_pages()
    server = None if args.no_server else start_server(args.host, args.workers, args.threads)
    try:
        cookies = {a: log_in(args.host, ACCOUNTS[a]) for a in {p[1] for p in pages} - {None}}
        for label, account, path in pages:  # every page answers before anything is timed
            headers = {"Cookie": cookies[account]} if account else {}
            import requests

            answer = requests.get(
                args.host + path, headers=headers, timeout=60, allow_redirects=False
            )
            if answer.status_code != 200:
                sys.exit(f"{label} {path}: {answer.status_code}")
        if args.mix:
            mix = pages[1:]  # every page but the reference
            stats, seconds = run_phase(
                args.host,
                args.users,
                mix,
                cookies,
                seconds=args.mix_seconds,
                wait=True,
                wait_range=tuple(args.mix_wait),
                max_requests=args.max_requests,
                accept=range(200, 400),
            )
            print_mix(args, mix, stats, seconds, notes)
            return
        latency, _seconds = run_phase(
            args.host,
            args.users,
            pages,
            cookies,
            seconds=args.latency_seconds,
            wait=True,
            max_requests=args.max_requests,
        )
        throughput = {}
        failures = {}
        for page in pages:
            stats, seconds = run_phase(
                args.host,
                args.users,
                [page],
                cookies,
                seconds=args.saturation_seconds,
                wait=False,
                max_requests=args.max_requests,
            )
            entry = stats.get(page[0], "GET")
            throughput[page[0]] = entry.num_requests / seconds
            failures[page[0]] = entry.num_failures
    finally:
        stop_server(server)
    print_table(args, pages, latency, throughput, failures, notes)


def print_mix(args, pages, stats, seconds, notes):
    """The mix's totals (requests, errors, median, p95) and each page's share."""
    total = stats.total
    low, high = args.mix_wait
    print()
    print(
        f"{args.users} users for {seconds:.0f} s, each waiting {low:g}–{high:g} s between pages "
        f"picked at random from {len(pages)}; gunicorn {args.workers} worker(s) x "
        f"{args.threads} thread(s) on {os.cpu_count()} cores"
    )
    print()
    print("| page | requests | errors | median ms | p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for label, _account, _path in pages:
        entry = stats.get(label, "GET")
        if entry.num_requests:
            print(
                f"| {label} | {entry.num_requests} | {entry.num_failures} | "
                f"{entry.get_response_time_percentile(0.5):.0f} | "
                f"{entry.get_response_time_percentile(0.95):.0f} |"
            )
    median = total.get_response_time_percentile(0.5) if total.num_requests else 0
    p95 = total.get_response_time_percentile(0.95) if total.num_requests else 0
    print(
        f"| **all** | **{total.num_requests}** | **{total.num_failures}** | **{median:.0f}** "
        f"| **{p95:.0f}** |"
    )
    print(f"\n{total.num_requests / seconds:.1f} requests/s")
    for error in stats.errors.values():
        print(f"- error: {error.name}: {error.error} ×{error.occurrences}")
    for note in notes:
        print(f"\n- {note}")
    if total.num_failures:
        sys.exit(1)


def print_table(args, pages, latency, throughput, failures, notes):
    ref = pages[0][0]
    ref_entry = latency.get(ref, "GET")
    ref_p95 = max(ref_entry.get_response_time_percentile(0.95), 1)
    ref_rps = throughput[ref]
    print()
    print(
        f"{args.users} users; gunicorn {args.workers} worker(s) x {args.threads} thread(s) on "
        f"{os.cpu_count()} cores; latency: {args.latency_seconds} s with 1–5 s waits; "
        f"saturation: {args.saturation_seconds} s per page, no waits"
    )
    print()
    print(
        "| page | n | p50 ms | p95 ms | p95 / reference | requests/s (saturated) "
        "| reference / page | failures |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, _account, _path in pages:
        entry = latency.get(label, "GET")
        p50 = entry.get_response_time_percentile(0.5) if entry.num_requests else 0
        p95 = entry.get_response_time_percentile(0.95) if entry.num_requests else 0
        rps = throughput[label]
        print(
            f"| {label} | {entry.num_requests} | {p50:.0f} | {p95:.0f} | "
            f"{p95 / ref_p95:.1f}× | {rps:.0f} | 1/{ref_rps / max(rps, 1e-9):.0f} | "
            f"{failures[label] + entry.num_failures} |"
        )
    for note in notes:
        print(f"\n- {note}")


if __name__ == "__main__":
    main()
