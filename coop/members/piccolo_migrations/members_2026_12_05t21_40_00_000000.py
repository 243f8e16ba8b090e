"""Membership changes (会籍变化) and transfers between unions in the system.

Two tables, one pending transfer per member at most, and the history so far written as
changes: a join for every member with a join date, a transfer out or a withdrawal for
those who transferred out or left. Hand-written: the same SQL on both engines but the
key column's type.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T21:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "membership changes and transfers"


def _fk(table: str, on_delete: str = "RESTRICT") -> str:
    return f'INTEGER REFERENCES "{table}" ("id") ON DELETE {on_delete} ON UPDATE CASCADE'


def statements(key: str) -> list[str]:
    return [
        f"""CREATE TABLE "membership_change" (
            "id" {key},
            "member" {_fk("member", "CASCADE")} NOT NULL,
            "federation" {_fk("trade_union")} NOT NULL,
            "kind" VARCHAR(20) NOT NULL DEFAULT '',
            "on_date" DATE NOT NULL,
            "reason" INTEGER DEFAULT NULL,
            "from_union" {_fk("trade_union")} DEFAULT NULL,
            "from_union_name" VARCHAR(100) NOT NULL DEFAULT '',
            "to_union" {_fk("trade_union")} DEFAULT NULL,
            "to_union_name" VARCHAR(100) NOT NULL DEFAULT '',
            "card_note" VARCHAR(40) NOT NULL DEFAULT '',
            "note" VARCHAR(200) NOT NULL DEFAULT '',
            "recorded_by" {_fk("app_user")} DEFAULT NULL,
            "recorded_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
        )""",
        'CREATE INDEX membership_change_member ON membership_change ("member")',
        "CREATE INDEX membership_change_federation_on "
        'ON membership_change ("federation", "on_date")',
        f"""CREATE TABLE "member_transfer" (
            "id" {key},
            "member" {_fk("member", "CASCADE")} NOT NULL,
            "from_union" {_fk("trade_union")} NOT NULL,
            "to_union" {_fk("trade_union")} NOT NULL,
            "status" VARCHAR(20) NOT NULL DEFAULT 'pending',
            "on_date" DATE NOT NULL,
            "reason" INTEGER NOT NULL,
            "refusal" VARCHAR(200) NOT NULL DEFAULT '',
            "created_by" {_fk("app_user")} DEFAULT NULL,
            "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
            "decided_by" {_fk("app_user")} DEFAULT NULL,
            "decided_at" TIMESTAMPTZ DEFAULT NULL,
            "version" INTEGER NOT NULL DEFAULT 1
        )""",
        'CREATE INDEX member_transfer_member ON member_transfer ("member")',
        'CREATE INDEX member_transfer_from_union ON member_transfer ("from_union", "status")',
        'CREATE INDEX member_transfer_to_union ON member_transfer ("to_union", "status")',
        # One transfer waits per member: a second "send" is refused by the database.
        'CREATE UNIQUE INDEX member_transfer_one_pending ON member_transfer ("member") '
        "WHERE status = 'pending'",
        # The history so far, as changes.
        """INSERT INTO membership_change
            ("member", "federation", "kind", "on_date", "recorded_at")
            SELECT "id", "federation", 'join', "join_date", "created_at" FROM member
            WHERE "join_date" IS NOT NULL""",
        """INSERT INTO membership_change
            ("member", "federation", "kind", "on_date", "reason", "to_union_name", "note")
            SELECT "id", "federation", 'transfer_out', "left_on", 1, "transferred_to",
            "leave_reason" FROM member
            WHERE "status" = 'transferred_out' AND "left_on" IS NOT NULL""",
        """INSERT INTO membership_change
            ("member", "federation", "kind", "on_date", "reason", "note")
            SELECT "id", "federation", 'withdraw', "left_on", 5, "leave_reason" FROM member
            WHERE "status" = 'left' AND "left_on" IS NOT NULL""",
    ]


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="members", description=DESCRIPTION)

    async def run_statements():
        from coop import db

        key = "INTEGER PRIMARY KEY NOT NULL" if db.is_sqlite() else "SERIAL PRIMARY KEY NOT NULL"
        for sql in statements(key):
            await RawTable.raw(sql)

    manager.add_raw(run_statements)
    return manager
