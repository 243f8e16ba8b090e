from enum import StrEnum

from piccolo.columns import (
    Boolean,
    Date,
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
from coop.orgs.tables import Cooperative, Union, Village


class EnrollmentPolicy(
    Table, tablename="enrollment_policy", help_text="A federation's enrollment rules."
):
    federation = ForeignKey(Union, on_delete=OnDelete.restrict, unique=True)
    card_prefix = Varchar(length=10, default="", help_text="Put before every card number.")
    last_card_number = Integer(default=0, help_text="Card numbers only go up: never reused.")
    backbone_first = Boolean(default=True, help_text="首批: only backbone members are approved.")
    opened_on = Date(null=True, default=None, help_text="When enrollment opened to everyone.")


class Member(Table, tablename="member", help_text="会员: one person, one resident ID."):
    class Status(StrEnum):
        applicant = "applicant"
        member = "member"
        transferred_out = "transferred_out"
        left = "left"  # 退会: withdrew at their own request
        retained = "retained"  # 保留: on the roll, counted apart (coop.members.domain.membership)
        expelled = "expelled"  # 除名

    class Post(StrEnum):
        base = "base"  # 基地
        workshop = "workshop"  # 加工车间
        processing = "processing"  # 加工
        sales = "sales"  # 销售
        livestream = "livestream"  # 直播
        other = "other"

    name = Varchar(length=50)
    sex = Varchar(length=1, help_text="M or F, from the 17th digit of the ID number.")
    birth_date = Date()
    birth_place = Varchar(length=100, default="")
    # The ID and phone numbers are never stored in the clear.
    id_hash = Varchar(length=64, unique=True, help_text="Keyed hash: one person per ID.")
    id_encrypted = Text()
    id_masked = Varchar(length=18)
    phone_hash = Varchar(length=64, index=True)
    phone_encrypted = Text()
    phone_masked = Varchar(length=11)
    ethnicity = Varchar(length=20, default="")
    education = Varchar(length=20, default="", help_text="GB/T 4658-2006 code; empty: none.")
    political_status = Varchar(length=2, default="", help_text="GB/T 4762-1984 code.")
    employment_status = Varchar(length=1, default="", help_text="ACFTU 就业状况 code.")
    skill_level = Varchar(length=1, default="", help_text="ACFTU 技术等级 code; empty: none.")
    migrant_worker = Boolean(default=False, help_text="农民工: the figure the union counts.")
    hukou_region = Varchar(length=6, default="", help_text="户籍所在地, GB/T 2260 code.")
    residence_region = Varchar(length=6, default="", help_text="现居住地, GB/T 2260 code.")
    residence_address = Varchar(length=100, default="", help_text="现居住地, as written.")
    employer = Varchar(length=100, default="", help_text="工作单位.")
    poverty_status = Varchar(
        length=20, default="", help_text="脱贫户/监测户/一般: 特定身份, federation staff only."
    )
    federation = ForeignKey(Union, on_delete=OnDelete.restrict)
    cooperative = ForeignKey(
        Cooperative,
        on_delete=OnDelete.restrict,
        null=True,
        default=None,
        help_text="None: no cooperative (an industrial worker, or held at a town union).",
    )
    village = ForeignKey(Village, on_delete=OnDelete.restrict)
    status = Varchar(length=20, choices=Status, index=True)
    is_backbone = Boolean(default=False)
    first_batch = Boolean(default=False, help_text="首批: approved in the backbone-first phase.")
    first_batch_on = Date(null=True, default=None)
    recruited_by = ForeignKey("self", on_delete=OnDelete.restrict, null=True, default=None)
    applied_on = Date()
    join_date = Date(null=True, default=None)
    card_number = Varchar(length=20, null=True, default=None, unique=True)
    worker_post = Varchar(length=20, default="", help_text="Current post; empty: none.")
    welcome_pack_at = Timestamptz(null=True, default=None)
    welcome_pack_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    left_on = Date(null=True, default=None)
    leave_reason = Varchar(length=200, default="")
    transferred_to = Varchar(length=100, default="")
    version = Integer(default=1, help_text="Bumped on every change, to refuse stale forms.")
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.name])


class MemberSearchKey(
    Table, tablename="member_search_key", help_text="Name, pinyin, initials, number tails."
):
    member = ForeignKey(Member, on_delete=OnDelete.cascade)
    key = Varchar(length=60)


class MemberEvent(Table, tablename="member_event", help_text="A member's status history."):
    member = ForeignKey(Member, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    action = Varchar(length=30)
    detail = Text(default="")


class WorkerPost(Table, tablename="worker_post", help_text="产业工人岗位, with history."):
    member = ForeignKey(Member, on_delete=OnDelete.cascade, index=True)
    post = Varchar(length=20, choices=Member.Post)
    started_on = Date()
    ended_on = Date(null=True, default=None)
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)


class RosterTemplate(Table, tablename="roster_template", help_text="A user's own roster columns."):
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=50)
    columns = Text(help_text="JSON: the column keys, in order.")


class RosterUpload(
    Table,
    tablename="roster_upload",
    help_text="A roster being imported, until it is or is dropped.",
):
    token = Varchar(length=43, index=True, help_text="Random; names the import in its address.")
    user = ForeignKey(User, on_delete=OnDelete.cascade)
    filename = Varchar(length=200)
    content = Text(
        help_text="The rows read from the file, as JSON, encrypted: it holds ID numbers."
    )
    created_at = Timestamptz(default=TimestamptzNow())


class MembershipChange(
    Table, tablename="membership_change", help_text="会籍变化: one change of a membership."
):
    member = ForeignKey(Member, on_delete=OnDelete.cascade, index=True)
    federation = ForeignKey(
        Union, on_delete=OnDelete.restrict, index=True, help_text="The roll it changes."
    )
    kind = Varchar(length=20, help_text="coop.members.domain.membership.Change")
    on_date = Date()
    reason = Integer(null=True, default=None, help_text="Coded reason 1–6, or none.")
    from_union = ForeignKey(Union, on_delete=OnDelete.restrict, null=True, default=None)
    from_union_name = Varchar(length=100, default="", help_text="A union outside the system.")
    to_union = ForeignKey(Union, on_delete=OnDelete.restrict, null=True, default=None)
    to_union_name = Varchar(length=100, default="", help_text="A union outside the system.")
    card_note = Varchar(length=40, default="", help_text="The card number it had before.")
    note = Varchar(length=200, default="")
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())


class MemberTransfer(
    Table, tablename="member_transfer", help_text="A transfer between unions in the system."
):
    class Status(StrEnum):
        pending = "pending"
        accepted = "accepted"
        refused = "refused"
        cancelled = "cancelled"

    member = ForeignKey(Member, on_delete=OnDelete.cascade, index=True)
    from_union = ForeignKey(Union, on_delete=OnDelete.restrict, index=True)
    to_union = ForeignKey(Union, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=20, choices=Status, default=Status.pending.value)
    on_date = Date(help_text="The day the member left the sending union.")
    reason = Integer(help_text="Coded reason 1–6.")
    refusal = Varchar(length=200, default="", help_text="Why the receiving union refused.")
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
