"""The database engine: chosen from settings, bound to every table, migrated.

SQLite is the embedded default, PostgreSQL the production engine. Every write
goes through `transaction()`, which on SQLite takes the write lock up front
(IMMEDIATE) so concurrent writers queue instead of failing with "database is
locked".
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pkgutil
from pathlib import Path

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from coop.settings import Settings

APPS = ["coop.audit", "coop.orgs", "coop.accounts", "coop.members"]

_engine: Engine | None = None


def engine_for(settings: Settings) -> Engine:
    if settings.engine_name == "postgresql":
        return PostgresEngine(config={"dsn": settings.database_url}, log_queries=False)
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteEngine(path=str(path), timeout=30)


def all_tables() -> list[type[Table]]:
    tables: list[type[Table]] = [Migration]
    for app in APPS:
        tables += importlib.import_module(f"{app}.piccolo_app").APP_CONFIG.table_classes
    return tables


def bind(engine: Engine) -> None:
    """Point piccolo_conf and every table at `engine`."""
    global _engine
    import coop.piccolo_conf

    coop.piccolo_conf.DB = engine
    for table in all_tables():
        table._meta.db = engine
    _engine = engine


def engine() -> Engine:
    if _engine is None:
        import coop.piccolo_conf

        bind(coop.piccolo_conf.DB)
    assert _engine is not None
    return _engine


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def transaction():
    """A write transaction: `async with transaction(): ...`."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


async def start(settings: Settings) -> None:
    db = engine()
    if isinstance(db, SQLiteEngine):
        # WAL lets readers go on while one writer writes.
        await db._run_in_new_connection("PRAGMA journal_mode=WAL")
    elif settings.db_pool:
        await db.start_connection_pool()


async def stop(settings: Settings) -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and settings.db_pool:
        await db.close_connection_pool()


def migration_ids() -> list[tuple[str, str]]:
    """(app name, migration id) of every migration shipped in the code."""
    found = []
    for app in APPS:
        package = importlib.import_module(f"{app}.piccolo_migrations")
        app_name = importlib.import_module(f"{app}.piccolo_app").APP_CONFIG.app_name
        for info in pkgutil.iter_modules([str(Path(package.__file__).parent)]):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found.append((app_name, module.ID))
    return found


async def pending_migrations() -> list[tuple[str, str]]:
    if not await Migration.table_exists():
        return migration_ids()
    applied = {(row["app_name"], row["name"]) for row in await Migration.select().run()}
    return [m for m in migration_ids() if m not in applied]


async def migrate() -> None:
    os.environ.setdefault("PICCOLO_CONF", "coop.piccolo_conf")
    with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints a line per step
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
