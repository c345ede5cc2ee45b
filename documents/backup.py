"""Backups of a whole installation and their restore (`manage.py backup`, `manage.py restore`;
`make backup`, `make restore`).

A backup is one directory, `konvergensi-<UTC time>/`, holding:

- `database.dump`: pg_dump of DATABASE_URL in the custom format (compressed, restored with
  pg_restore);
- `media.tar`: every file under MEDIA_ROOT (uploads, scans, generated PDFs);
- `seal.tar`: the seal certificates of SEAL_DIR, when it lies outside MEDIA_ROOT and holds any;
- `manifest.json`: when, from which version and commit, the applied migrations, the row count
  of every table and the file counts, and the SHA-256 of each part.

The row counts and the dump come from one snapshot (pg_dump --snapshot), so a backup taken
while the portal runs is consistent and its counts are exact. The files are read after the
dump: stored files are only ever added under new names, so every file the dump points at is
in the archive (a file added meanwhile is there too, unreferenced, and harmless).

The directory is written under a hidden `.partial` name and renamed when complete, so a
backup cut short (a full disk, a killed cron job) never looks like a good one.

Lives here because this layer owns the stored files; it imports no feature app.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
PREFIX = "konvergensi-"
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media.tar"
SEAL = "seal.tar"

# What a restore cannot bring back from a backup, said in the manifest and by the commands.
NOT_INCLUDED = [
    "Redis: only the cache (rate limits, TOTP replay guard) and the Celery queue; a job "
    "queued when the backup was taken is not re-sent (its row stays, request it again)",
    "SECRET_KEY: keep it with the backup; the sheet keys printed on signature sheets (QR "
    "codes read from scanned paper), password-reset and invitation links and sessions are "
    "HMAC with it",
    "SEAL_PASSPHRASE, when a certificate's passphrase is in the environment, not in a .pass file",
    "the environment (.env, DATABASE_URL, e-mail settings) and the code itself",
]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _require_postgres():
    if connection.vendor != "postgresql":
        raise BackupError(
            "backup and restore work on PostgreSQL (DATABASE_URL). The SQLite demo of "
            "`make run` is var/db.sqlite3 and var/media: copy var/ while the server is stopped."
        )


def _pg_env() -> dict:
    """libpq's variables for pg_dump and pg_restore: the password never on a command line."""
    db = settings.DATABASES["default"]
    pg = {
        "PGHOST": str(db.get("HOST") or ""),
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": str(db.get("USER") or ""),
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
        "PGDATABASE": str(db["NAME"]),
    }
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        pg["PGSSLMODE"] = sslmode
    return {**os.environ, **{k: v for k, v in pg.items() if v}}


def _run(args: list[str]) -> None:
    # our own argument lists: pg_dump/pg_restore, paths we built, no shell
    result = subprocess.run(args, env=_pg_env(), capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}")


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _user_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_catalog.pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def _row_counts(cursor) -> dict[str, int]:
    counts = {}
    for table in _user_tables(cursor):
        # the names come from pg_tables, quoted by quote_ident
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def _files_under(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _tar(root: Path, target: Path) -> dict:
    files = _files_under(root)
    size = 0
    with tarfile.open(target, "w") as tar:
        for path in files:
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
            size += path.stat().st_size
    return {"files": len(files), "bytes": size}


def _version() -> dict:
    try:
        version = metadata.version("konvergensi")
    except metadata.PackageNotFoundError:
        version = ""
    commit = os.environ.get("APP_COMMIT", "")
    if not commit:
        try:
            # git from PATH, as in a checkout; a deployment without git sets APP_COMMIT
            git = ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"]
            commit = subprocess.run(  # noqa: S603
                git,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            commit = ""
    return {"version": version, "commit": commit or "unknown"}


def _media_on_disk() -> bool:
    return settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage")


def _seal_outside_media() -> bool:
    media = Path(settings.MEDIA_ROOT).resolve()
    seal = Path(settings.SEAL_DIR).resolve()
    return media != seal and media not in seal.parents


def _complete_backups(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.glob(f"{PREFIX}*") if p.is_dir() and (p / MANIFEST).is_file()
    )


def make_backup(*, directory: Path, keep: int = 0, with_seal: bool = True, now=None) -> Path:
    """Write a complete backup into a new dated directory under `directory` and return it.
    With `keep`, remove the oldest complete backups there beyond that many."""
    _require_postgres()
    now = now or datetime.now(UTC)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = PREFIX + now.strftime("%Y%m%dT%H%M%SZ")
    final = directory / name
    if final.exists():
        raise BackupError(f"{final} exists already")
    partial = directory / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    old_umask = os.umask(0o077)  # personal data and maybe private keys: owner only
    try:
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "app": _version(),
        }
        # One snapshot for the counts and the dump; the transaction stays open while
        # pg_dump reads it.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_database(), version()")
            snapshot, database, server = cursor.fetchone()
            manifest["database"] = {
                "name": database,
                "server": server.split(" on ")[0],
                "migrations": _applied_migrations(),
                "tables": _row_counts(cursor),
            }
            _run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={partial / DUMP}"]
            )
        parts = [DUMP]
        if _media_on_disk():
            manifest["media"] = {
                "root": str(settings.MEDIA_ROOT),
                **_tar(Path(settings.MEDIA_ROOT), partial / MEDIA),
            }
            parts.append(MEDIA)
        else:
            manifest["media"] = {
                "skipped": "MEDIA_STORAGE is not the file system: back the bucket up on its own "
                "(versioning or replication)"
            }
        seal_dir = Path(settings.SEAL_DIR)
        if not _seal_outside_media():
            manifest["seal"] = {"skipped": "SEAL_DIR lies inside MEDIA_ROOT: in media.tar"}
        elif not with_seal:
            manifest["seal"] = {"skipped": "left out (--no-seal): keep the certificates apart"}
        elif not _files_under(seal_dir):
            manifest["seal"] = {"skipped": f"{seal_dir} holds no certificate"}
        else:
            manifest["seal"] = {"root": str(seal_dir), **_tar(seal_dir, partial / SEAL)}
            parts.append(SEAL)
        manifest["parts"] = {
            part: {"sha256": sha256_of(partial / part), "bytes": (partial / part).stat().st_size}
            for part in parts
        }
        manifest["not_included"] = NOT_INCLUDED
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        os.umask(old_umask)
    if keep:
        for old in _complete_backups(directory)[:-keep]:
            shutil.rmtree(old)
    return final


@dataclass
class RestoreReport:
    manifest: dict
    tables: int = 0
    rows: int = 0
    media_files: int = 0
    seal_files: int = 0
    notes: list[str] = field(default_factory=list)


def read_manifest(backup: Path) -> dict:
    path = Path(backup) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{backup} is not a backup: no {MANIFEST} in it")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown format {manifest.get('format')!r}")
    return manifest


def check_parts(backup: Path, manifest: dict) -> None:
    for part, facts in manifest["parts"].items():
        path = Path(backup) / part
        if not path.is_file():
            raise BackupError(f"{part} is missing from {backup}")
        if sha256_of(path) != facts["sha256"]:
            raise BackupError(f"{part}: its SHA-256 differs from the manifest's (damaged copy)")


def _is_empty_dir(path: Path) -> bool:
    return not path.exists() or not any(path.iterdir())


def _extract(archive: Path, root: Path) -> int:
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        # the "data" filter refuses absolute paths, "..", links out of root and devices
        tar.extractall(root, members=members, filter="data")
    return len(members)


def restore_backup(*, backup: Path, force: bool = False) -> RestoreReport:
    """Restore `backup` into the database of DATABASE_URL, MEDIA_ROOT and SEAL_DIR, then check
    the result against the manifest. The database must be empty (no table) and MEDIA_ROOT empty
    or absent, unless `force`: then the database's objects are dropped and replaced, and the
    files written over the folder's. Everything is checked before anything is written."""
    _require_postgres()
    backup = Path(backup)
    manifest = read_manifest(backup)
    check_parts(backup, manifest)
    report = RestoreReport(manifest=manifest)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        existing = _user_tables(cursor)
    media_root = Path(settings.MEDIA_ROOT)
    seal_dir = Path(settings.SEAL_DIR)
    if not force:
        if existing:
            raise BackupError(
                f"database {database} is not empty ({len(existing)} tables): restore refuses "
                "to overwrite it. Restore into an empty database (createdb NEW, then set "
                "DATABASE_URL to it), or add --force to drop its contents and replace them."
            )
        if MEDIA in manifest["parts"] and not _is_empty_dir(media_root):
            raise BackupError(
                f"MEDIA_ROOT {media_root} is not empty: restore refuses to mix files. Point "
                "MEDIA_ROOT at an empty folder, or add --force to write over it."
            )
    connection.close()  # pg_restore --clean must be able to drop what this session read
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
    command += ["--single-transaction", f"--dbname={database}", str(backup / DUMP)]
    if force and existing:
        command[1:1] = ["--clean", "--if-exists"]
    _run(command)
    if MEDIA in manifest["parts"]:
        report.media_files = _extract(backup / MEDIA, media_root)
    if SEAL in manifest["parts"]:
        if force or _is_empty_dir(seal_dir):
            report.seal_files = _extract(backup / SEAL, seal_dir)
        else:
            report.notes.append(
                f"SEAL_DIR {seal_dir} is not empty: its certificates were left as they are "
                "(--force writes the backup's over them)"
            )
    _check(report)
    return report


def _check(report: RestoreReport) -> None:
    """The restored database and files against the manifest: the same migrations, the same
    number of rows in every table, the same number of files."""
    manifest = report.manifest
    problems = []
    applied = _applied_migrations()
    if applied != manifest["database"]["migrations"]:
        problems.append("the applied migrations differ from the manifest's")
    with connection.cursor() as cursor:
        counts = _row_counts(cursor)
    expected = manifest["database"]["tables"]
    for table, rows in expected.items():
        if counts.get(table) != rows:
            problems.append(f"{table}: {counts.get(table)} rows, the backup had {rows}")
    report.tables, report.rows = len(counts), sum(counts.values())
    media = manifest.get("media", {})
    if "files" in media and report.media_files != media["files"]:
        problems.append(f"media: {report.media_files} files, the backup had {media['files']}")
    if problems:
        raise BackupError("the restore does not match the backup: " + "; ".join(problems))
    # The code may be newer than the backup (restore, then migrate) or older (update the code).
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        report.notes.append(
            f"{len(pending)} migrations of this code are not applied yet (the backup is older): "
            "run `manage.py migrate`"
        )
    known = set(executor.loader.disk_migrations)
    unknown = [f"{a}.{n}" for a, names in applied.items() for n in names if (a, n) not in known]
    if unknown:
        report.notes.append(
            f"{len(unknown)} applied migrations are unknown to this code (the backup is newer "
            f"than the code, e.g. {unknown[0]}): deploy commit {manifest['app']['commit']}"
        )
