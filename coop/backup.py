"""`coop backup` and `coop restore`: one archive format for both engines.

A backup is a zip file (0600: it holds the keys) of

- the database, taken in one consistent snapshot while the app runs: on SQLite
  `coop.sqlite3`, SQLite's online backup; on PostgreSQL `coop.pgdump`, `pg_dump
  --format=custom` run in a snapshot exported by a repeatable-read transaction, which also
  counts the rows;
- `secrets.json`, without which the stored ID and phone numbers cannot be read;
- `manifest.json`: the engine, the schema (the newest migration applied, per app), the app
  version, when it was made, each file's SHA-256 and every table's row count.

A restore checks everything before it changes anything: the checksums (a truncated or
damaged file is refused), the engine (a backup restores into the engine it came from), the
schema (a backup from a newer version is refused, naming both), and that the target
database is empty (unless `force`). PostgreSQL restores in one transaction (`psql
--single-transaction`) that also checks the row counts; SQLite swaps in the checked file.
Backups made before the manifest existed (SQLite only) still restore.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from coop import db
from coop.settings import SECRETS_FILE, Settings

MANIFEST = "manifest.json"
SQLITE_FILE = "coop.sqlite3"
POSTGRES_FILE = "coop.pgdump"
DATABASE_FILE = {"sqlite": SQLITE_FILE, "postgresql": POSTGRES_FILE}
ENGINE_NAME = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
FORMAT = 1
ZIP_MAGIC = b"PK\x03\x04"


class BackupError(Exception):
    """What went wrong, for the operator; nothing was changed."""


def app_version() -> str:
    return importlib.metadata.version("coop-union")


def schema_of(applied) -> dict[str, str]:
    """The newest migration of each app among `applied` (app, id) pairs: ids are times."""
    newest: dict[str, str] = {}
    for app, migration in applied:
        newest[app] = max(newest.get(app, ""), migration)
    return dict(sorted(newest.items()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def private_file(path: Path) -> BinaryIO:
    """A new file, for this account only from the first byte; one of that name is replaced."""
    path.unlink(missing_ok=True)
    return os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb")


def tool(name: str) -> str:
    """A PostgreSQL client program: on PATH, else the newest under /usr/lib/postgresql."""
    if found := shutil.which(name):
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if versions:
        return str(versions[-1])
    raise BackupError(
        f"{name} was not found. Install the PostgreSQL client programs of the server's major"
        " version (Debian: apt install postgresql-client-15) or put them on PATH."
    )


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment that passes the password (so it
    never shows in the process list)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        url = urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))
    return url, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        name = Path(command[0]).name
        raise BackupError(f"{name} failed: {result.stderr.strip() or result.returncode}")


# Reading a database: its tables, their row counts, the migrations applied.


def _sqlite_facts(path: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        rows = {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        applied = []
        if "migration" in names:
            applied = connection.execute("SELECT app_name, name FROM migration").fetchall()
        return rows, applied
    finally:
        connection.close()


async def _postgres_tables(connection: asyncpg.Connection) -> list[str]:
    rows = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return [row["tablename"] for row in rows]


async def _postgres_facts(connection) -> tuple[dict[str, int], list[tuple[str, str]]]:
    names = await _postgres_tables(connection)
    rows = {n: await connection.fetchval(f'SELECT count(*) FROM "{n}"') for n in names}
    applied = []
    if "migration" in names:
        applied = [tuple(r) for r in await connection.fetch("SELECT app_name, name FROM migration")]
    return rows, applied


# Backup


def backup(settings: Settings, out: Path) -> dict:
    """Write a backup of the live database and the secrets to `out`; the manifest."""
    engine = settings.engine_name
    with tempfile.TemporaryDirectory(dir=settings.private_folder()) as tmp:
        copy = Path(tmp) / DATABASE_FILE[engine]
        if engine == "sqlite":
            source = sqlite3.connect(settings.sqlite_path, timeout=30)
            target = sqlite3.connect(copy)
            with target:
                source.backup(target)  # SQLite's online backup: consistent while the app writes
            source.close()
            target.close()
            rows, applied = _sqlite_facts(copy)
        else:
            rows, applied = asyncio.run(_pg_dump(settings.database_url, copy))
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "schema": schema_of(applied),
            "app_version": app_version(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "files": {
                copy.name: _sha256(copy),
                SECRETS_FILE: _sha256(settings.secrets_path),
            },
            "rows": rows,
        }
        # the dump is compressed already; an SQLite file shrinks to a third
        compression = zipfile.ZIP_DEFLATED if engine == "sqlite" else zipfile.ZIP_STORED
        with (
            private_file(out) as file,
            zipfile.ZipFile(file, "w", compression=compression) as archive,
        ):
            archive.write(copy, copy.name)
            archive.write(settings.secrets_path, SECRETS_FILE)
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    return manifest


async def _pg_dump(url: str, out: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """pg_dump in the snapshot of a transaction that counts the rows: the counts and the
    migrations are those of the dump, however many writes happen meanwhile."""
    dump = tool("pg_dump")
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            facts = await _postgres_facts(connection)
            address, env = _libpq(url)
            process = await asyncio.create_subprocess_exec(
                *[dump, "--format=custom", f"--snapshot={snapshot}", f"--file={out}"],
                *["--no-password", f"--dbname={address}"],
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, errors = await process.communicate()
            if process.returncode != 0:
                raise BackupError(f"pg_dump failed: {errors.decode().strip()}")
    finally:
        await connection.close()
    out.chmod(0o600)
    return facts


# Restore


def restore(settings: Settings, file: Path, *, force: bool = False) -> dict:
    """Put the backup in `file` back; its manifest. Raises BackupError, changing nothing."""
    engine = settings.engine_name
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise BackupError(_not_a_backup(file)) from None
    except OSError as error:
        raise BackupError(f"Cannot read {file}: {error.strerror or error}.") from None
    with archive, tempfile.TemporaryDirectory(dir=settings.private_folder()) as folder:
        tmp = Path(folder)
        manifest = _manifest(archive, file)
        if manifest["engine"] != engine:
            raise BackupError(
                f"A {ENGINE_NAME[manifest['engine']]} backup cannot be restored into"
                f" {ENGINE_NAME[engine]}: restore it into {ENGINE_NAME[manifest['engine']]}."
            )
        try:
            archive.extractall(tmp, members=list(manifest["files"]))
        except (zipfile.BadZipFile, OSError, EOFError):  # a bad CRC, a cut-off member
            raise BackupError(_damaged(file)) from None
        for name, digest in manifest["files"].items():
            if digest is not None and _sha256(tmp / name) != digest:
                raise BackupError(_damaged(file))
        copy = tmp / DATABASE_FILE[engine]
        if engine == "sqlite":
            _check_sqlite_copy(copy, manifest)
        _refuse_newer_schema(manifest)
        if engine == "sqlite":
            _restore_sqlite(settings, copy, force)
        else:
            _restore_postgres(settings.database_url, copy, manifest["rows"], force, tmp)
        secrets = tmp / SECRETS_FILE
        secrets.chmod(0o600)
        os.replace(secrets, settings.secrets_path)
    return manifest


def _not_a_backup(file: Path) -> str:
    with open(file, "rb") as opened:
        if opened.read(4) == ZIP_MAGIC:  # a zip file cut short or damaged
            return _damaged(file)
    return f"{file} is not a Coop Union backup."


def _damaged(file: Path) -> str:
    return f"{file} is damaged or incomplete; nothing was restored."


def _manifest(archive: zipfile.ZipFile, file: Path) -> dict:
    names = set(archive.namelist())
    if MANIFEST not in names:
        if {SQLITE_FILE, SECRETS_FILE} <= names:  # made before backups had a manifest
            return {"engine": "sqlite", "files": {SQLITE_FILE: None, SECRETS_FILE: None}}
        raise BackupError(f"{file} is not a Coop Union backup.")
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise BackupError(_damaged(file)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{file} is not a Coop Union backup this version can read.")
    engine = manifest.get("engine")
    files, schema, rows = (manifest.get(key) for key in ("files", "schema", "rows"))
    if not (
        engine in DATABASE_FILE
        and isinstance(files, dict)
        and set(files) == {DATABASE_FILE[engine], SECRETS_FILE}
        and set(files) <= names
        and isinstance(schema, dict)
        and all(isinstance(v, str) for v in schema.values())
        and isinstance(rows, dict)
        and all(re.fullmatch(r"\w+", t) and type(n) is int for t, n in rows.items())
    ):
        raise BackupError(f"{file} is not a Coop Union backup.")
    return manifest


def _check_sqlite_copy(copy: Path, manifest: dict) -> None:
    check = sqlite3.connect(copy)
    try:
        healthy = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:  # not an SQLite file at all
        healthy = False
    finally:
        check.close()
    if not healthy:
        raise BackupError("The database in this backup is damaged.")
    rows, applied = _sqlite_facts(copy)
    if "rows" in manifest and rows != manifest["rows"]:
        raise BackupError("The database in this backup is damaged.")
    if "schema" not in manifest:  # an old backup: its schema is in the file
        manifest["schema"] = schema_of(applied)


def _newest(schema: dict[str, str]) -> str:
    return max(schema.values(), default="(none)")


def _refuse_newer_schema(manifest: dict) -> None:
    known = {(app, migration) for app, migration in db.migration_ids()}
    unknown = [(app, m) for app, m in manifest["schema"].items() if (app, m) not in known]
    if unknown:
        made_by = manifest.get("app_version", "an older version")
        raise BackupError(
            f"This backup has a newer schema than this Coop Union: schema"
            f" {_newest(manifest['schema'])} (Coop Union {made_by}), this code knows up to"
            f" schema {_newest(schema_of(known))} (Coop Union {app_version()})."
            " Install the version the backup came from, or a newer one, then restore."
        )


def _not_empty(tables: list[str]) -> str:
    return (
        f"The database is not empty (it has {len(tables)} tables). Restore into an empty"
        " database, or add --force to replace everything in it."
    )


def _restore_sqlite(settings: Settings, copy: Path, force: bool) -> None:
    target = settings.sqlite_path
    if target.exists():
        tables, _ = _sqlite_facts(target)
        if tables and not force:
            raise BackupError(_not_empty(list(tables)))
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    copy.chmod(0o600)
    os.replace(copy, target)


def _restore_postgres(url: str, dump: Path, rows: dict[str, int], force: bool, tmp: Path):
    """The dump as SQL, run by psql in one transaction that first drops what is there (with
    `force`) and last checks every table's row count: it all happens, or none of it."""

    async def tables() -> list[str]:
        connection = await asyncpg.connect(url)
        try:
            return await _postgres_tables(connection)
        finally:
            await connection.close()

    existing = asyncio.run(tables())
    if existing and not force:
        raise BackupError(_not_empty(existing))
    address, env = _libpq(url)
    script = tmp / "restore.sql"
    _run([tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(dump)], env)
    before = []
    if existing:
        before = ["-c", "DROP TABLE " + ", ".join(f'public."{t}"' for t in existing) + " CASCADE"]
    checks = "".join(
        f'IF (SELECT count(*) FROM public."{table}") <> {int(count)} THEN RAISE EXCEPTION'
        f" 'table {table}: not the {int(count)} rows the backup holds'; END IF; "
        for table, count in rows.items()
    )
    psql = [tool("psql"), "--no-psqlrc", "--quiet", "--no-password", "--single-transaction"]
    psql += ["-v", "ON_ERROR_STOP=1", f"--dbname={address}", *before, "-f", str(script)]
    psql += ["-c", f"DO $$ BEGIN {checks}END $$", "-c", "ANALYZE"]
    _run(psql, env)
