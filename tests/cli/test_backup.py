"""`coop backup` and `coop restore` on both engines, as an operator runs them (subprocesses).

SQLite always; PostgreSQL when COOP_TEST_POSTGRES_URL is set (databases named after it,
with _src and _dst added, are dropped and made again).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import POSTGRES_URL, _recreate_postgres_database

ENGINES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="COOP_TEST_POSTGRES_URL is not set"),
    ),
]


async def _pg_rows(url: str, sql: str) -> list[tuple]:
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


@dataclass
class Place:
    """A data folder and its database: SQLite in the folder, or the PostgreSQL `url`."""

    data_dir: Path
    url: str = ""

    @property
    def engine(self) -> str:
        return "postgresql" if self.url else "sqlite"

    def coop(self, *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, COOP_DATA_DIR=str(self.data_dir), PYTHONIOENCODING="utf-8")
        env.pop("COOP_DATABASE_URL", None)
        if self.url:
            env["COOP_DATABASE_URL"] = self.url
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        return subprocess.run(
            [sys.executable, "-m", "coop.cli", *args],
            env=env,
            cwd=self.data_dir.parent,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
        )

    def query(self, sql: str) -> list[tuple]:
        if self.url:
            return asyncio.run(_pg_rows(self.url, sql))
        connection = sqlite3.connect(self.data_dir / "coop.sqlite3", timeout=10)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def tables(self) -> list[str]:
        if self.url:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        else:
            sql = (
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            )
        return [row[0] for row in self.query(sql)]

    def row_counts(self) -> dict[str, int]:
        return {t: self.query(f'SELECT count(*) FROM "{t}"')[0][0] for t in self.tables()}

    def member_checksum(self) -> str:
        rows = self.query("SELECT * FROM member ORDER BY id")
        return hashlib.sha256(repr(rows).encode()).hexdigest()


def _place(engine: str, folder: Path, suffix: str) -> Place:
    if engine == "sqlite":
        return Place(folder)
    url = f"{POSTGRES_URL}_{suffix}"
    asyncio.run(_recreate_postgres_database(url))
    return Place(folder, url)


@pytest.fixture(scope="module", params=ENGINES)
def source(request, tmp_path_factory) -> Place:
    """The demo data (shared by this module's tests: they only add audit entries)."""
    place = _place(request.param, tmp_path_factory.mktemp("source") / "data", "src")
    result = place.coop("demo")
    assert (result.returncode, result.stderr) == (0, "")
    return place


@pytest.fixture
def target(source, tmp_path) -> Place:
    """An empty database of the source's engine."""
    return _place(source.engine, tmp_path / "restored", "dst")


@pytest.fixture
def backup_file(source, tmp_path) -> Path:
    out = tmp_path / "coop-backup.zip"
    result = source.coop("backup", "--out", str(out))
    assert (result.returncode, result.stderr) == (0, "")
    return out


def _writer(place: Place, committed: list[int], lock: threading.Lock, stop: threading.Event):
    """Adds audit entries one transaction at a time until stopped; `committed` lists the ids
    whose transaction has committed, in order."""
    sql = (
        "INSERT INTO audit_entry (at, actor_name, action, record_type, record_id, detail)"
        " VALUES (CURRENT_TIMESTAMP, 'load test', 'load', 'test', '', 'row')"
    )

    async def postgres():
        connection = await asyncpg.connect(place.url)
        try:
            while not stop.is_set() and len(committed) < 3000:
                with lock:
                    committed.append(await connection.fetchval(sql + " RETURNING id"))
                await asyncio.sleep(0.002)
        finally:
            await connection.close()

    def sqlite():
        connection = sqlite3.connect(place.data_dir / "coop.sqlite3", isolation_level=None)
        try:
            while not stop.is_set() and len(committed) < 3000:
                with lock:
                    connection.execute("BEGIN IMMEDIATE")
                    cursor = connection.execute(sql)
                    connection.execute("COMMIT")
                    committed.append(cursor.lastrowid)
                time.sleep(0.002)
        finally:
            connection.close()

    return (lambda: asyncio.run(postgres())) if place.url else sqlite


def test_backup_under_write_load_restores_every_table_and_the_same_members(
    source, target, tmp_path
):
    before = source.row_counts()
    members = source.member_checksum()
    committed: list[int] = []
    lock = threading.Lock()  # held across insert + commit + record, so counts are exact
    stop = threading.Event()
    errors: list[BaseException] = []
    write = _writer(source, committed, lock, stop)

    def run() -> None:
        try:
            write()
        except BaseException as error:  # reported below
            errors.append(error)

    writer = threading.Thread(target=run, daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + 20
        while len(committed) < 20 and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        with lock:
            committed_before_start = len(committed)
        out = tmp_path / "under-load.zip"
        backup = source.coop("backup", "--out", str(out))
        with lock:
            committed_before_end = len(committed)
    finally:
        stop.set()
        writer.join(timeout=20)

    assert errors == []
    assert (backup.returncode, backup.stdout, backup.stderr) == (
        0, f"Backup written to {out}.\n", "",
    )  # fmt: skip
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert committed_before_start >= 20
    assert committed_before_end > committed_before_start  # the writer ran during the backup

    restore = target.coop("restore", str(out))

    assert (restore.returncode, restore.stderr) == (0, "")
    restored = target.row_counts()
    loaded = [row[0] for row in target.query("SELECT id FROM audit_entry WHERE action = 'load'")]
    # A snapshot: the first N committed rows, none missing in between.
    assert sorted(loaded) == committed[: len(loaded)]
    assert committed_before_start <= len(loaded) <= committed_before_end
    assert restored == {**before, "audit_entry": before["audit_entry"] + len(loaded)}
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["rows"] == restored
    assert target.member_checksum() == members
    secrets = (target.data_dir / "secrets.json").read_bytes()
    assert secrets == (source.data_dir / "secrets.json").read_bytes()
    assert stat.S_IMODE((target.data_dir / "secrets.json").stat().st_mode) == 0o600


def test_restore_into_a_database_with_data_is_refused_unless_forced(source, target, backup_file):
    assert target.coop("restore", str(backup_file)).returncode == 0
    tables = len(target.tables())

    refused = target.coop("restore", str(backup_file))

    assert (refused.returncode, refused.stdout, refused.stderr) == (
        1,
        "",
        f"The database is not empty (it has {tables} tables). Restore into an empty"
        " database, or add --force to replace everything in it.\n",
    )

    forced = target.coop("restore", "--force", str(backup_file))

    assert (forced.returncode, forced.stderr) == (0, "")
    assert target.row_counts() == source.row_counts()


def _truncate(backup: Path, out: Path) -> None:
    out.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])


def _corrupt(backup: Path, out: Path) -> None:
    """A byte changed in the middle of the database: the zip is still readable."""
    with zipfile.ZipFile(backup) as archive, zipfile.ZipFile(out, "w") as damaged:
        for name in archive.namelist():
            data = archive.read(name)
            if name.startswith("coop."):
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
            damaged.writestr(name, data)


@pytest.mark.parametrize("damage", [_truncate, _corrupt], ids=["truncated", "corrupted"])
def test_restore_of_a_damaged_backup_is_refused_and_changes_nothing(
    source, target, backup_file, tmp_path, damage
):
    damaged = tmp_path / "damaged.zip"
    damage(backup_file, damaged)
    assert target.coop("restore", str(backup_file)).returncode == 0
    before = target.row_counts()

    result = target.coop("restore", "--force", str(damaged))

    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"{damaged} is damaged or incomplete; nothing was restored.\n",
    )  # fmt: skip
    assert target.row_counts() == before
    assert [p.name for p in target.data_dir.iterdir() if p.is_dir()] == []  # no leftovers


def test_restore_of_a_backup_from_a_newer_schema_is_refused_naming_both_versions(
    source, target, backup_file, tmp_path
):
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(backup_file) as archive, zipfile.ZipFile(newer, "w") as changed:
        for name in archive.namelist():
            data = archive.read(name)
            if name == "manifest.json":
                manifest = json.loads(data)
                current = max(manifest["schema"].values())
                manifest["schema"]["members"] = "2099-01-01T00:00:00:000000"
                manifest["app_version"] = "9.0.0"
                data = json.dumps(manifest).encode()
            changed.writestr(name, data)

    result = target.coop("restore", str(newer))

    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "This backup has a newer schema than this Coop Union: schema"
        " 2099-01-01T00:00:00:000000 (Coop Union 9.0.0), this code knows up to schema"
        f" {current} (Coop Union 0.1.0). Install the version the backup came from, or a"
        " newer one, then restore.\n",
    )
    assert target.tables() == []


@pytest.mark.skipif(not POSTGRES_URL, reason="COOP_TEST_POSTGRES_URL is not set")
def test_restore_into_the_other_engine_is_refused_with_a_message(tmp_path):
    sqlite_place = Place(tmp_path / "sqlite")
    postgres_place = _place("postgresql", tmp_path / "postgres", "dst")
    for place in (sqlite_place, postgres_place):
        assert place.coop("migrate").returncode == 0
        assert place.coop("backup", "--out", str(tmp_path / f"{place.engine}.zip")).returncode == 0
    empty_sqlite = Place(tmp_path / "empty-sqlite")
    empty_postgres = _place("postgresql", tmp_path / "empty-postgres", "dst")

    into_postgres = empty_postgres.coop("restore", str(tmp_path / "sqlite.zip"))
    into_sqlite = empty_sqlite.coop("restore", str(tmp_path / "postgresql.zip"))

    assert (into_postgres.returncode, into_postgres.stderr) == (
        1, "A SQLite backup cannot be restored into PostgreSQL: restore it into SQLite.\n",
    )  # fmt: skip
    assert (into_sqlite.returncode, into_sqlite.stderr) == (
        1, "A PostgreSQL backup cannot be restored into SQLite: restore it into PostgreSQL.\n",
    )  # fmt: skip
    assert empty_postgres.tables() == []
    assert empty_sqlite.tables() == []
