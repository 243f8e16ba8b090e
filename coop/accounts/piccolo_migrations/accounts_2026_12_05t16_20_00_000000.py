from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "API tokens expire and are revoked; sessions end for good on deactivation"


def _timestamp_params() -> dict:
    return {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    for column_name in ("expires_at", "revoked_at"):
        manager.add_column(
            table_class_name="ApiToken",
            tablename="api_token",
            column_name=column_name,
            db_column_name=column_name,
            column_class_name="Timestamptz",
            column_class=Timestamptz,
            params=_timestamp_params(),
            schema=None,
        )

    manager.add_column(
        table_class_name="User",
        tablename="app_user",
        column_name="session_epoch",
        db_column_name="session_epoch",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
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
