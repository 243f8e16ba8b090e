"""The union's real-name record (issue 14): political status, employment status, skill
level, migrant worker, 户籍所在地 and 现居住地, employer; education becomes a GB/T 4658-2006
code; household_type becomes poverty_status ("other" becomes none).

Existing members get their 户籍所在地 from the area code their masked ID keeps in the clear,
so nothing is decrypted. The data step runs inside the migration's transaction, after the
columns exist."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-05T21:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The union's real-name record fields"

# The old private education values, as GB/T 4658-2006 codes.
EDUCATION = {
    "primary": "80",
    "junior": "70",
    "senior": "60",
    "college": "30",
    "university": "20",
}

NEW_COLUMNS = [
    ("political_status", Varchar, {"length": 2, "default": ""}),
    ("employment_status", Varchar, {"length": 1, "default": ""}),
    ("skill_level", Varchar, {"length": 1, "default": ""}),
    ("migrant_worker", Boolean, {"default": False}),
    ("hukou_region", Varchar, {"length": 6, "default": ""}),
    ("residence_region", Varchar, {"length": 6, "default": ""}),
    ("residence_address", Varchar, {"length": 100, "default": ""}),
    ("employer", Varchar, {"length": 100, "default": ""}),
]


class RawTable(Table):
    pass


async def _move_data():
    cases = " ".join(f"WHEN '{old}' THEN '{code}'" for old, code in EDUCATION.items())
    await RawTable.raw(
        f"UPDATE member SET education = CASE education {cases} ELSE '' END "
        "WHERE education <> ''"
    )
    await RawTable.raw(
        "UPDATE member SET poverty_status = '' "
        "WHERE poverty_status NOT IN ('lifted', 'monitored', 'ordinary')"
    )
    await RawTable.raw("UPDATE member SET hukou_region = substr(id_masked, 1, 6)")


class _Manager(MigrationManager):
    async def _run_rename_columns(self, backwards: bool = False):
        if backwards:
            await RawTable.raw(
                "UPDATE member SET education = CASE education "
                + " ".join(f"WHEN '{code}' THEN '{old}'" for old, code in EDUCATION.items())
                + " ELSE '' END"
            )
        await super()._run_rename_columns(backwards=backwards)
        if not backwards:
            await _move_data()


async def forwards():
    manager = _Manager(migration_id=ID, app_name="members", description=DESCRIPTION)
    for name, column_class, params in NEW_COLUMNS:
        manager.add_column(
            table_class_name="Member",
            tablename="member",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={
                **params,
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
    manager.rename_column(
        table_class_name="Member",
        tablename="member",
        old_column_name="household_type",
        new_column_name="poverty_status",
        old_db_column_name="household_type",
        new_db_column_name="poverty_status",
        schema=None,
    )
    return manager
