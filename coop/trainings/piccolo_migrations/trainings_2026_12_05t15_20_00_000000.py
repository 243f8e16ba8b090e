"""A disputed registration: an earlier one, not confirmed as a member's, made with the mobile
number a confirmed member registers with. The member gets their own registration, so one
registration per phone per session now counts only the undisputed ones (the next file:
piccolo runs a migration's raw SQL before its new columns)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T15:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration disputed_at"

async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="trainings", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Registration",
        tablename="training_registration",
        column_name="disputed_at",
        db_column_name="disputed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
