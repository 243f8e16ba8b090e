"""A fresh database for every test: SQLite always, PostgreSQL when COOP_TEST_POSTGRES_URL is set.

SQLite: migrate once into a template file, copy it per test. PostgreSQL:
migrate one test database once, empty its tables per test. Handlers run on the
test client's own event loop, so there is no shared connection pool in tests.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from coop import db, privacy
from coop.app import create_app
from coop.settings import Settings

POSTGRES_URL = os.environ.get("COOP_TEST_POSTGRES_URL", "")
os.environ.setdefault("PICCOLO_CONF", "coop.piccolo_conf")


def _settings(tmp: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp, database_url=database_url, db_pool=False)


async def _recreate_postgres_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    if not re.fullmatch(r"\w+", name):
        raise ValueError("COOP_TEST_POSTGRES_URL must end in a plain database name")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> str:
    """The migrated database every test starts from: a template file, or the PostgreSQL URL."""
    if POSTGRES_URL:
        asyncio.run(_recreate_postgres_database(POSTGRES_URL))
        settings = _settings(tmp_path_factory.mktemp("pg"), POSTGRES_URL)
    else:
        folder = tmp_path_factory.mktemp("template")
        settings = _settings(folder, f"sqlite:///{folder / 'template.sqlite3'}")
    db.bind(db.engine_for(settings))
    asyncio.run(db.migrate())
    return POSTGRES_URL or str(settings.sqlite_path)


async def _empty_postgres_tables() -> None:
    tables = [t._meta.tablename for t in db.all_tables() if t._meta.tablename != "migration"]
    await db.engine().run_ddl(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def settings(migrated_database, tmp_path):
    if POSTGRES_URL:
        settings = _settings(tmp_path, POSTGRES_URL)
        db.bind(db.engine_for(settings))
        asyncio.run(_empty_postgres_tables())
    else:
        path = tmp_path / "coop.sqlite3"
        shutil.copyfile(migrated_database, path)
        settings = _settings(tmp_path, f"sqlite:///{path}")
        db.bind(db.engine_for(settings))
    privacy.configure(settings.secrets())
    yield settings
    if isinstance(db.engine(), db.PooledSQLiteEngine):
        db.engine().close()


@pytest.fixture
async def client(settings):
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client
