"""Names are unique within their parent.

Piccolo adds constraints with ALTER TABLE, which SQLite lacks; a unique index
does the same job on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T15:12:19:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique names within their parent"

UNIQUE_INDEXES = [
    "CREATE UNIQUE INDEX trade_union_name_in_parent ON trade_union (parent, name)",
    "CREATE UNIQUE INDEX village_name_in_town ON village (town, name)",
    "CREATE UNIQUE INDEX cooperative_name_in_federation ON cooperative (federation, name)",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="orgs", description=DESCRIPTION)

    async def create_unique_indexes():
        for sql in UNIQUE_INDEXES:
            await RawTable.raw(sql)

    manager.add_raw(create_unique_indexes)
    return manager
