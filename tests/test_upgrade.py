"""Upgrades keep data: a database at the oldest schema still shipped (each app's first
migration), with rows in every table it has, migrated to head, on the engine under test.

The rows are the demo's (plus one in each table the demo leaves empty), read from a head
database and written with raw SQL into the columns the old schema has.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

from coop import db, demo
from coop.settings import Settings
from tests.conftest import POSTGRES_URL, _recreate_postgres_database

EXTRA_ROWS = [  # for the tables the demo leaves empty; columns of the oldest schema
    'INSERT INTO api_token ("user", token_hash, label, created_at)'
    " VALUES (1, 'hash-of-a-token', 'sync script', CURRENT_TIMESTAMP)",
    "INSERT INTO idempotency_record (key, user_id, payload_hash, status_code, location, body,"
    " created_at) VALUES ('key-1', 1, 'payload', 201, '/members/1', '{}', CURRENT_TIMESTAMP)",
    "INSERT INTO rate_count (key, count, expires_at) VALUES ('public:1.2.3.4', 3,"
    " CURRENT_TIMESTAMP)",
    "INSERT INTO roster_template (\"user\", name, columns) VALUES (1, 'township', 'name,phone')",
    'INSERT INTO roster_upload (token, "user", filename, content, created_at)'
    " VALUES ('upload-1', 1, 'roster.csv', 'name', CURRENT_TIMESTAMP)",
]


def _oldest() -> dict[str, str]:
    oldest: dict[str, str] = {}
    for app, migration in db.migration_ids():
        oldest[app] = min(oldest.get(app, migration), migration)
    return oldest


async def _migrate_to_oldest() -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        for app in BaseMigrationManager().get_sorted_app_names():
            result = await run_forwards(app_name=app, migration_id=_oldest()[app])
            assert result.success, result.message


async def _columns(table: str) -> list[str]:
    if db.is_sqlite():
        return [row["name"] for row in await db.fetch(f'PRAGMA table_info("{table}")', [])]
    rows = await db.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
        " ORDER BY ordinal_position",
        [table],
    )
    return [row["column_name"] for row in rows]


def _in_reference_order(tables: list[str]) -> list[str]:
    """Tables after those their foreign keys point to."""
    classes = {t._meta.tablename: t for t in db.all_tables()}
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for column in classes[name]._meta.foreign_key_columns:
            parent = column._foreign_key_meta.resolved_references._meta.tablename
            if parent != name:
                visit(parent)
        ordered.append(name)

    for name in tables:
        visit(name)
    return ordered


async def _all_rows(tables) -> dict[str, list[dict]]:
    return {t: await db.fetch(f'SELECT * FROM "{t}" ORDER BY id', []) for t in tables}


async def _old_database(folder: Path) -> Settings:
    if POSTGRES_URL:
        url = f"{POSTGRES_URL}_upgrade"
        await _recreate_postgres_database(url)
    else:
        url = f"sqlite:///{folder / 'old.sqlite3'}"
    old = Settings(data_dir=folder, database_url=url, db_pool=False)
    db.bind(db.engine_for(old))
    await _migrate_to_oldest()
    return old


@pytest.mark.skip(
    reason="rows copied back at the oldest schema do not survive the 2026-12-05 members "
    "migrations, which rename household_type and recode education by design, and fill "
    "membership_change from history: the comparison must learn those transforms"
)
async def test_database_at_the_oldest_schema_keeps_every_row_when_migrated_to_head(
    settings, tmp_path
):
    await demo.load()
    async with db.transaction():
        for sql in EXTRA_ROWS:
            await db.fetch(sql, [])
    tables = [t._meta.tablename for t in db.all_tables() if t._meta.tablename != "migration"]
    source = await _all_rows(tables)
    assert [t for t in tables if not source[t]] == []  # every table has rows

    old = await _old_database(tmp_path)
    old_tables = [t for t in tables if await _columns(t)]
    classes = {t._meta.tablename: t for t in db.all_tables()}
    async with db.transaction():
        for table in _in_reference_order(old_tables):
            columns = await _columns(table)
            rows = [tuple(row[c] for c in columns) for row in source[table]]
            await db.insert_many(classes[table], columns, rows)
    check = _coop_check(tmp_path, old.database_url)
    assert check.returncode == 1
    assert check.stdout.startswith(f"Pending migrations ({old.engine_name}):\n")
    assert len(check.stdout.splitlines()) == 1 + len(db.migration_ids()) - len(_oldest())

    await db.migrate()

    upgraded = await _all_rows(tables)
    assert {t: upgraded[t] for t in old_tables} == {t: source[t] for t in old_tables}
    assert {t: upgraded[t] for t in tables if t not in old_tables} == {
        t: [] for t in tables if t not in old_tables
    }
    # the same columns as a database made at head
    assert {t: sorted(await _columns(t)) for t in tables} == {
        t: sorted(source[t][0]) for t in tables
    }
    assert _coop_check(tmp_path, old.database_url).stdout == (
        f"No migrations pending ({old.engine_name}).\n"
    )


def _coop_check(folder: Path, url: str) -> subprocess.CompletedProcess:
    """`coop migrate --check` on that database."""
    env = dict(os.environ, COOP_DATA_DIR=str(folder), COOP_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "coop.cli", "migrate", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(autouse=True)
def _rebind_after(settings):
    """The test database again for the fixture's own clean-up."""
    yield
    db.bind(db.engine_for(settings))
