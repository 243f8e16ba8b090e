"""Indexes for the member list's usual shape: one place filter, newest first."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "member list indexes by place, newest first"

INDEXES = [
    "CREATE INDEX member_cooperative_id ON member (cooperative, id)",
    "CREATE INDEX member_village_id ON member (village, id)",
    "CREATE INDEX member_federation_id ON member (federation, id)",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="members", description=DESCRIPTION)

    async def create_indexes():
        for sql in INDEXES:
            await RawTable.raw(sql)

    manager.add_raw(create_indexes)
    return manager
