"""`manage.py backup` and `manage.py restore` (documents/backup.py), run as an operator runs
them: a district with a signed commitment document (a paper scan uploaded, the final PDF
rendered) is backed up from the test's PostgreSQL database and media folder, restored into a
database created here, empty, and an empty media folder, and then read back: the rows, the
files byte for byte, the signature chain, and the public verification page served by gunicorn
from the restored database. A second restore into the now full database is refused."""

import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
import requests
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django_scopes import scopes_disabled
from psycopg2 import sql

from tests.commitments.factories import make_signed_document
from tests.workers import ROOT, database_url_of_this_test

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def manage(*args, env, check=True):
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def url_of(name: str) -> str:
    return database_url_of_this_test().rsplit("/", 1)[0] + "/" + name


def admin_connection():
    s = connection.settings_dict
    conn = psycopg2.connect(
        dbname="postgres",
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
    )
    conn.autocommit = True
    return conn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env, port, log: Path) -> subprocess.Popen:
    """gunicorn, as production runs it (DEBUG off), on the restored database."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--timeout=60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not listen:\n{log.read_text()}")


def test_a_backup_restores_into_an_empty_database_with_its_files_and_verification(world, tmp_path):
    side = world.a
    document, version = make_signed_document(side)
    media = Path(settings.MEDIA_ROOT)
    with scopes_disabled():
        version.refresh_from_db()  # the final PDF rendered at the last signature's commit
        document.refresh_from_db()
        assert document.status == "signed" and version.final_id
        pdf = Path(version.final.file.path).read_bytes()
        scan = version.signatories.get(user=None).signature
        scan_bytes = Path(scan.paper.path).read_bytes()
        names = list(version.signatories.order_by("order").values_list("name", flat=True))
    before = files_of(media)
    # by hand: the final PDF and the paper scan are among the stored files, as the rows say
    assert sha256(pdf) == version.pdf_sha256
    assert sha256(scan_bytes) == scan.paper_sha256
    assert pdf in before.values() and scan_bytes in before.values()
    applied = {f"{a}.{n}" for a, n in MigrationRecorder(connection).applied_migrations()}

    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # the same key on both sides, as the README says
        "DATABASE_URL": database_url_of_this_test(),
        "MEDIA_ROOT": str(media),
        "SEAL_DIR": str(tmp_path / "seal"),
        "DB_CONN_MAX_AGE": "0",
    }
    env.pop("REDIS_URL", None)  # nothing in a backup or a restore uses Redis
    started = time.monotonic()
    result = manage("backup", "--output", str(tmp_path / "backups"), env=env)
    backup = Path(result.stdout.strip().splitlines()[-1])
    assert backup.parent == tmp_path / "backups" and backup.name.startswith("konvergensi-")
    assert sorted(p.name for p in backup.iterdir()) == [
        "database.dump",
        "manifest.json",
        "media.tar",
    ]
    manifest = json.loads((backup / "manifest.json").read_text())
    for part in ("database.dump", "media.tar"):
        assert manifest["parts"][part]["sha256"] == sha256((backup / part).read_bytes())
    assert manifest["app"]["version"] == "0.1.0"
    assert manifest["media"]["files"] == len(before)
    assert manifest["database"]["tables"]["public.commitments_signature"] == 3
    assert {f"{a}.{n}" for a, ns in manifest["database"]["migrations"].items() for n in ns} == (
        applied
    )
    assert "seal" in manifest and "SECRET_KEY" in " ".join(manifest["not_included"])

    name = f"{connection.settings_dict['NAME']}_restored_{secrets.token_hex(3)}"
    admin = admin_connection()
    admin.cursor().execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    server = None
    try:
        restored_media = tmp_path / "restored-media"
        renv = {
            **env,
            "DATABASE_URL": url_of(name),
            "MEDIA_ROOT": str(restored_media),
            "SEAL_DIR": str(tmp_path / "restored-seal"),
        }
        result = manage("restore", str(backup), env=renv)
        assert "checked: migrations as in the backup" in result.stdout
        assert f"{len(before)} media files" in result.stdout

        # the files, byte for byte
        assert files_of(restored_media) == before

        # the rows, read straight from the restored database
        with psycopg2.connect(url_of(name)) as restored, restored.cursor() as cursor:
            cursor.execute(
                "SELECT v.title, v.verify_token, g.sha256, g.file FROM "
                "commitments_documentversion v JOIN documents_generateddocument g "
                "ON g.id = v.final_id WHERE v.id = %s",
                [str(version.pk)],
            )
            title, token, pdf_sha, pdf_name = cursor.fetchone()
            cursor.execute(
                "SELECT s.name, g.method FROM commitments_signatory s JOIN "
                "commitments_signature g ON g.signatory_id = s.id "
                "WHERE s.version_id = %s ORDER BY s.order",
                [str(version.pk)],
            )
            signatures = cursor.fetchall()
        restored.close()
        assert title == version.title and token == version.verify_token
        assert pdf_sha == sha256(pdf) == sha256((restored_media / pdf_name).read_bytes())
        assert signatures == [(names[0], "portal"), (names[1], "portal"), (names[2], "paper")]

        # the signature chain of the restored rows is intact
        result = manage(
            "shell",
            "-c",
            "from django_scopes import scopes_disabled\n"
            "from commitments.chain import verify_chain\n"
            "from commitments.models import CommitmentDocument\n"
            "with scopes_disabled():\n"
            f"    document = CommitmentDocument.objects.get(pk='{document.pk}')\n"
            "    print('problems', verify_chain(document))",
            env=renv,
        )
        assert "problems []" in result.stdout

        # the public verification page, served by gunicorn from the restored database
        port = free_port()
        server = serve(
            {
                **renv,
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "false",
                "SECURE_COOKIES": "false",
                "STATIC_MANIFEST": "false",
            },
            port,
            tmp_path / "gunicorn.log",
        )
        page_url = f"http://127.0.0.1:{port}/verifikasi/{token}/"
        client = requests.Session()
        page = client.get(page_url, timeout=20)
        assert page.status_code == 200, page.text[:2000]
        assert version.title in page.text and "Kabupaten Sumedang" in page.text
        assert all(n in page.text for n in names)
        assert sha256(pdf) in page.text
        csrf = client.cookies["csrftoken"]
        checked = client.post(
            page_url,
            data={"csrfmiddlewaretoken": csrf},
            files={"pdf": ("komitmen.pdf", (restored_media / pdf_name).read_bytes())},
            headers={"Referer": page_url},
            timeout=20,
        )
        assert checked.status_code == 200
        assert "Asli." in checked.text and "Tidak cocok." not in checked.text

        # a second restore finds the database full and refuses, changing nothing
        again = manage(
            "restore", str(backup), env={**renv, "MEDIA_ROOT": str(tmp_path / "e")}, check=False
        )
        assert again.returncode != 0
        assert f"database {name} is not empty" in again.stderr and "--force" in again.stderr
        assert not (tmp_path / "e").exists()
        elapsed = time.monotonic() - started
        assert elapsed < 40, f"backup, restore and checks took {elapsed:.0f} s"
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(10)
        admin.cursor().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


def test_restore_refuses_a_damaged_backup_before_writing_anything(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url_of_this_test(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SEAL_DIR": str(tmp_path / "seal"),
    }
    result = manage("backup", "--output", str(tmp_path / "backups"), env=env)
    backup = Path(result.stdout.strip().splitlines()[-1])
    dump = backup / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))

    result = manage("restore", str(backup), env=env, check=False)

    assert result.returncode != 0
    assert "database.dump: its SHA-256 differs from the manifest's" in result.stderr


@pytest.mark.django_db(transaction=False)
def test_make_backup_and_restore_call_the_commands():
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "backup", "BACKUP_ARGS=--keep 3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "manage.py backup --keep 3" in dry.stdout and "pip" not in dry.stdout
    refused = subprocess.run(["make", "restore"], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode != 0 and "make restore FROM=<backup directory>" in refused.stderr
