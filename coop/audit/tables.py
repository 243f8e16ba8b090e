from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry", help_text="Who did what to which record, when."):
    at = Timestamptz(default=TimestamptzNow(), index=True)
    # No foreign key: accounts sit above audit, and entries outlive deleted users.
    actor_id = Integer(null=True, default=None)
    actor_name = Varchar(length=150)
    action = Varchar(length=40, index=True, help_text="create, update, deactivate, sign_in…")
    record_type = Varchar(length=40)
    record_id = Varchar(length=40, default="")
    detail = Text(default="", help_text="What changed. Never an ID or phone number.")

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s %s", columns=[cls.action, cls.record_type])
