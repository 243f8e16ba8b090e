"""The database engine: chosen from settings, bound to every table, migrated.

SQLite is the embedded default, PostgreSQL the production engine. Every write
goes through `transaction()`, which on SQLite takes the write lock up front
(IMMEDIATE) so concurrent writers queue instead of failing with "database is
locked".
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import os
import pkgutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from coop.settings import Settings

APPS = [
    "coop.audit",
    "coop.orgs",
    "coop.accounts",
    "coop.members",
    "coop.trainings",
    "coop.contests",
]

_engine: Engine | None = None


def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    """The rows as Piccolo's dict_factory makes them, naming the columns once, not per row."""
    rows = cursor.fetchall()
    if not rows:
        return []
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _integer_out(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:  # a REAL kept in an INTEGER column: as Piccolo reads it
        return int(Decimal(value.decode()))


def _boolean_out(value: bytes) -> bool:
    return value == b"1"


# Piccolo reads every INTEGER through Decimal and every BOOLEAN through a decoding wrapper;
# these give the same values, 3x faster (tests/test_db.py compares them).
sqlite3.register_converter("INTEGER", _integer_out)
sqlite3.register_converter("BOOLEAN", _boolean_out)


# Why a read on the event loop's thread stops: too long, or the database is busy (the pool
# thread waits for it, as it should).
_MOVE_TO_POOL = {sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class PooledSQLiteEngine(SQLiteEngine):
    """SQLiteEngine whose single statements run on a few long-lived connections.

    Piccolo's SQLite engine opens a connection (and a thread) for every query;
    here statements outside a transaction run on a small thread pool, each
    thread keeping one connection, and the short reads of `db.read` on the event
    loop's own read-only connection. Transactions keep piccolo's own connection.
    """

    THREADS = 4
    # A read on the event loop's thread may take this long; one that needs longer (a deep
    # page, a rare filter over many members) is stopped and run again on a pool thread,
    # so it holds up no other request. (A list page takes half a millisecond.)
    READ_HERE_SECONDS = 0.005

    def __init__(self, path: str, **kwargs):
        super().__init__(path=path, **kwargs)
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
            connection.execute("PRAGMA foreign_keys = 1")
            self._local.connection = connection
        return connection

    def _execute(self, query: str, args: list) -> list[dict]:
        return _dicts(self._connection().execute(query, args))

    async def read(self, query: str, args: list) -> list[dict]:
        """A read on this thread's own read-only connection, or on a pool thread when it
        turns out long or meets a lock (see `db.read`)."""
        connection = getattr(self._local, "reader", None)
        if connection is None:
            connection = sqlite3.connect(**{**self.connection_kwargs, "timeout": 0})
            connection.execute("PRAGMA query_only = 1")
            self._local.reader = connection
        until = time.perf_counter() + self.READ_HERE_SECONDS
        # SQLite asks every 1,000 instructions; True stops the read.
        connection.set_progress_handler(lambda: time.perf_counter() > until, 1000)
        try:
            return _dicts(connection.execute(query, args))
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode not in _MOVE_TO_POOL:
                raise
            return await self._run_in_new_connection(query, args)

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.THREADS, thread_name_prefix="sqlite")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._execute, query, args or [])

    def close(self) -> None:
        """Stop the threads; their connections close with them, and this thread's reader.
        (A reader left on another thread closes when it is collected.) Reopened on use."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if reader := getattr(self._local, "reader", None):
            reader.close()
        self._local = threading.local()


def engine_for(settings: Settings) -> Engine:
    if settings.engine_name == "postgresql":
        return PostgresEngine(config={"dsn": settings.database_url}, log_queries=False)
    path = settings.sqlite_path
    settings.private_folder(path.parent)
    # Created for this account only; SQLite gives its -wal and -shm files the same mode.
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    return PooledSQLiteEngine(path=str(path), timeout=30)


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


async def insert_many(table: type[Table], columns: list[str], rows: list[tuple]) -> None:
    """One INSERT, many rows, on the connection of the open transaction (bulk loads)."""
    if not rows:
        return
    if is_sqlite():
        marks = ", ".join("?" for _ in columns)
    else:
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks})'
    await engine().current_transaction.get().connection.executemany(sql, rows)


def compiled(query) -> tuple[str, list]:
    """The SQL of a Piccolo query and its parameters, for the engine in use."""
    return query.querystrings[0].compile_string(engine_type="sqlite" if is_sqlite() else "postgres")


async def stream(sql: str, args: list, batch_size: int) -> AsyncIterator[list[tuple]]:
    """The rows of one read query as plain tuples, `batch_size` at a time, in one snapshot.

    For exports of any size: the rows skip Piccolo's per-row work (a dict, a Python
    converter per typed column), so the query should select the text it wants. The
    next batch is read while the caller handles this one (SQLite in a thread, which
    runs the query without holding the GIL; PostgreSQL in its server process).
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        connection = sqlite3.connect(db.connection_kwargs["database"], check_same_thread=False)
        cursor = await asyncio.to_thread(connection.execute, sql, args)  # reads the first row

        def fetch():
            return asyncio.to_thread(cursor.fetchmany, batch_size)

        def close():
            return asyncio.to_thread(connection.close)
    else:
        connection = await db.get_new_connection()
        reading = connection.transaction(readonly=True, isolation="repeatable_read")
        await reading.start()
        cursor = await connection.cursor(sql, *args)

        def fetch():
            return cursor.fetch(batch_size)

        async def close():
            await reading.rollback()
            await connection.close()

    pending = asyncio.ensure_future(fetch())
    try:
        while rows := await pending:
            pending = asyncio.ensure_future(fetch())
            yield rows
    finally:
        if not pending.done():  # the caller stopped early: let the last read finish first
            await asyncio.wait([pending])
        await close()


def placeholders(sql: str) -> str:
    """`sql` with each `{}` turned into this engine's parameter mark (`?` or `$1`, `$2` …)."""
    if is_sqlite():
        return sql.replace("{}", "?")
    parts = sql.split("{}")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]


async def fetch(sql: str, args: list) -> list[dict]:
    """Rows of one ready SQL statement (marks from `placeholders`), as Piccolo would return
    them, without building the query again.

    On SQLite the connections convert column types as Piccolo's own do (the same
    registered converters); on PostgreSQL asyncpg does. Inside a transaction it runs there.
    """
    return await _fetch(sql, args, here=False)


async def read(sql: str, args: list) -> list[dict]:
    """As `fetch`, for the reads of every page view (a session, a page of rows).

    On SQLite they run on the event loop's own thread: handing a read of a millisecond or
    less to a pool thread and back costs more CPU than the read, and in WAL mode a reader
    never waits for a writer. The connection is read-only (`query_only`); a read that
    runs longer than a few milliseconds goes to a pool thread after all.
    """
    return await _fetch(sql, args, here=True)


async def _fetch(sql: str, args: list, *, here: bool) -> list[dict]:
    db = engine()
    transaction = db.current_transaction.get()
    if isinstance(db, SQLiteEngine):
        if transaction:
            return await db._run_in_existing_connection(transaction.connection, sql, args)
        if here and isinstance(db, PooledSQLiteEngine):
            return await db.read(sql, args)
        return await db._run_in_new_connection(sql, args)
    assert isinstance(db, PostgresEngine)
    if transaction:
        rows = await transaction.connection.fetch(sql, *args)
    elif db.pool:
        rows = await db._run_in_pool(sql, args)
    else:
        rows = await db._run_in_new_connection(sql, args)
    return [dict(row) for row in rows]


async def start(settings: Settings) -> None:
    db = engine()
    if isinstance(db, SQLiteEngine):
        # WAL lets readers go on while one writer writes.
        await db._run_in_new_connection("PRAGMA journal_mode=WAL")
        await analyze()
    elif settings.db_pool:
        await db.start_connection_pool()


async def analyze(full: bool = False) -> None:
    """Give SQLite's planner table statistics; without them it may pick a poor index.

    A full ANALYZE the first time (0.1 s at 100,000 members) and after bulk loads;
    otherwise SQLite's own `PRAGMA optimize`. PostgreSQL's autovacuum does its own.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        analyzed = await db._run_in_new_connection(
            "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'"
        )
        await db._run_in_new_connection("PRAGMA optimize" if analyzed and not full else "ANALYZE")


async def stop(settings: Settings) -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and settings.db_pool:
        await db.close_connection_pool()
    elif isinstance(db, PooledSQLiteEngine):
        db.close()


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
    from piccolo.apps.migrations.commands.forwards import run_forwards  # 0.15 s to import

    os.environ.setdefault("PICCOLO_CONF", "coop.piccolo_conf")
    with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints a line per step
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


def sql_migration(app_name: str, migration_id: str, description: str, statements: list[str]):
    """A hand-written migration of plain SQL that runs on both engines.

    For what piccolo's auto-migrations cannot do on SQLite (unique constraints,
    composite indexes). Use in a migration file as `forwards = sql_migration(...)`.
    """

    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    class RawTable(Table):
        pass

    async def forwards() -> MigrationManager:
        manager = MigrationManager(
            migration_id=migration_id, app_name=app_name, description=description
        )

        async def run_statements():
            # The engine migrating now, whose transaction this runs in: a table class keeps
            # the first engine it was used with, so a second database would get the SQL
            # outside its migration's transaction, or on the first database.
            RawTable._meta.db = engine()
            for sql in statements:
                await RawTable.raw(sql)

        manager.add_raw(run_statements)
        return manager

    return forwards
