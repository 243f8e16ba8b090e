"""A registrant of an open-to-everyone session from outside the federation's villages:
their village or place as they typed it (其他村 / 外地), counted apart."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration village_other"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="trainings", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Registration",
        tablename="training_registration",
        column_name="village_other",
        db_column_name="village_other",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 50,
            "default": "",
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
