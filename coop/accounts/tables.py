from piccolo.columns import (
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coop.access import Role
from coop.orgs.tables import Cooperative, Union, Village


class User(Table, tablename="app_user", help_text="A person who signs in."):
    Role = Role

    username = Varchar(length=50, unique=True)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=200)
    role = Varchar(length=30, choices=Role)
    is_active = Boolean(default=True)
    locale = Varchar(length=10, default="", help_text="Chosen language; empty = browser's.")
    session_epoch = Integer(default=0, help_text="Sessions carry it; deactivating raises it.")
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.username])


class UserScope(Table, tablename="user_scope", help_text="One part of the tree a user works in."):
    user = ForeignKey(User)
    federation = ForeignKey(Union, on_delete=OnDelete.restrict, null=True, default=None)
    cooperative = ForeignKey(Cooperative, on_delete=OnDelete.restrict, null=True, default=None)
    village = ForeignKey(Village, on_delete=OnDelete.restrict, null=True, default=None)


class StoredValue(
    Table, tablename="stored_value", help_text="Sessions and throttles, shared by all workers."
):
    key = Varchar(length=255, unique=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


class IdempotencyRecord(
    Table, tablename="idempotency_record", help_text="A submission's one result, for its retries."
):
    key = Varchar(length=200, unique=True)
    user_id = Integer(null=True, default=None)
    payload_hash = Varchar(length=64)
    status_code = Integer(default=0)
    location = Varchar(length=500, default="")
    body = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ApiToken(Table, tablename="api_token", help_text="Bearer tokens for the JSON API."):
    user = ForeignKey(User, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, unique=True)
    label = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class RateCount(Table, tablename="rate_count", help_text="Requests per client address per window."):
    key = Varchar(length=100, unique=True)
    count = Integer(default=0)
    expires_at = Timestamptz(index=True)
