from enum import StrEnum

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coop.accounts.tables import User
from coop.members.tables import Member
from coop.orgs.tables import Cooperative, Union, Village


class Programme(Table, tablename="training_programme", help_text="培训计划: a plan of sessions."):
    title = Varchar(length=100)
    description = Text(default="")
    union = ForeignKey(Union, on_delete=OnDelete.restrict, help_text="The union running it.")
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.title])


class TrainingSession(Table, tablename="training_session", help_text="场次: one session."):
    class Status(StrEnum):
        draft = "draft"
        open = "open"
        closed = "closed"
        held = "held"
        cancelled = "cancelled"

    class Audience(StrEnum):
        members = "members"  # members of the programme's union only
        anyone = "anyone"  # non-members become enrollment leads

    programme = ForeignKey(Programme, on_delete=OnDelete.restrict, index=True)
    topic = Varchar(length=100)
    trainer = Varchar(length=100, default="")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    time_zone = Varchar(length=40, default="Asia/Shanghai")
    place = Varchar(length=200, default="")
    online_link = Varchar(length=500, default="", help_text="Livestream room or meeting link.")
    capacity = Integer()
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    audience = Varchar(length=10, choices=Audience, default=Audience.members.value)
    status = Varchar(length=10, choices=Status, default=Status.draft.value, index=True)
    slug = Varchar(length=16, unique=True, help_text="The public page's unguessable address.")
    # Kept inside the transaction that changes a registration, under the row's lock.
    seats_taken = Integer(default=0, help_text="Confirmed registrations, walk-ins included.")
    last_number = Integer(default=0, help_text="Registration order, for the waiting list.")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class Registration(Table, tablename="training_registration", help_text="报名, and check-in."):
    class Status(StrEnum):
        confirmed = "confirmed"
        waitlisted = "waitlisted"
        cancelled = "cancelled"

    session = ForeignKey(TrainingSession, on_delete=OnDelete.cascade, index=True)
    number = Integer(help_text="Order of registration in the session: the waiting-list order.")
    code = Varchar(length=12, help_text="Unguessable; unique within the session.")
    name = Varchar(length=50)
    phone_hash = Varchar(length=64)
    phone_encrypted = Text()
    phone_masked = Varchar(length=11)
    id_hash = Varchar(length=64, default="")
    id_encrypted = Text(default="")
    search_keys = Text(default="", help_text="Name, pinyin, initials and phone tail.")
    village = ForeignKey(Village, on_delete=OnDelete.restrict, null=True, default=None)
    village_other = Varchar(
        length=50,
        default="",
        help_text="Open sessions: 其他村 / 外地, as typed, when no village of the list.",
    )
    cooperative = ForeignKey(Cooperative, on_delete=OnDelete.restrict, null=True, default=None)
    member = ForeignKey(Member, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    status = Varchar(length=12, choices=Status)
    walk_in = Boolean(default=False)
    promoted_at = Timestamptz(null=True, default=None, help_text="Moved up from the waiting list.")
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    registered_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    notified_at = Timestamptz(null=True, default=None, help_text="Told of a cancelled session.")
    created_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    disputed_at = Timestamptz(
        null=True,
        default=None,
        help_text="Not confirmed as a member's, and a confirmed member registered its number.",
    )
