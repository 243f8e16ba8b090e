"""Members' writes and rules, one module per use case; `from coop.members import domain`
keeps every name in one place for the controllers, the other contexts and the tests.

- enrollment.py: a person becomes an applicant (form, API, roster import);
- approval.py: applicants become members, with card numbers, under the enrollment policy;
- lifecycle.py: edits, reveals, welcome packs, worker posts, leaving;
- roster_templates.py: a user's own export columns;
- records.py: how a member's records are written (the one writer of a new member).

The reads and all hand-written SQL are in coop/members/queries.py, re-exported here.
Every function takes the acting `Viewer`; reads are limited to its scope, so a member
outside it is NotFound.
"""

from coop.i18n import local_today
from coop.members.domain.approval import (
    CARD_PREFIX_MAX,
    Approval,
    _ensure_policy,
    approve,
    card_prefix,
    set_policy,
)
from coop.members.domain.enrollment import (
    NAME_MAX,
    NUMBER_TYPED_MAX,
    AlreadyRegistered,
    EnrollmentInput,
    applicant,
    applicant_values,
    enroll,
)
from coop.members.domain.lifecycle import (
    LEAVE_REASON_MAX,
    STALE,
    TRANSFERRED_TO_MAX,
    MemberChanges,
    Post,
    end_membership,
    issue_welcome_pack,
    record_post,
    reveal_phone,
    reveal_resident_id,
    undo_welcome_pack,
    update_member,
)
from coop.members.domain.records import (
    NewMember,
    new_member_ids,
    search_key_texts,
    write_new_members,
    write_records,
)
from coop.members.domain.roster_templates import TEMPLATE_NAME_MAX, save_roster_template
from coop.members.queries import (
    ACTIVE,
    LIST_COLUMNS,
    PAGE_MAX,
    PAGE_SIZE,
    ROSTER_BATCH,
    ROSTER_COLUMNS,
    ROSTER_SECRETS,
    SEARCH_MAX,
    MemberFilter,
    MemberPage,
    MemberRecord,
    Status,
    _list_sql,
    _matching,
    backbone_members,
    check_roster,
    counts,
    get_member,
    member_record,
    member_where,
    pending_welcome_packs,
    policy,
    roster,
    roster_templates,
    scoped,
    search,
)

__all__ = [
    "ACTIVE",
    "CARD_PREFIX_MAX",
    "LEAVE_REASON_MAX",
    "LIST_COLUMNS",
    "NAME_MAX",
    "NUMBER_TYPED_MAX",
    "PAGE_MAX",
    "PAGE_SIZE",
    "ROSTER_BATCH",
    "ROSTER_COLUMNS",
    "ROSTER_SECRETS",
    "SEARCH_MAX",
    "STALE",
    "TEMPLATE_NAME_MAX",
    "TRANSFERRED_TO_MAX",
    "AlreadyRegistered",
    "Approval",
    "EnrollmentInput",
    "MemberChanges",
    "MemberFilter",
    "MemberPage",
    "MemberRecord",
    "NewMember",
    "Post",
    "Status",
    "_ensure_policy",
    "_list_sql",
    "_matching",
    "applicant",
    "applicant_values",
    "approve",
    "backbone_members",
    "card_prefix",
    "check_roster",
    "counts",
    "end_membership",
    "enroll",
    "get_member",
    "issue_welcome_pack",
    "local_today",
    "member_record",
    "member_where",
    "new_member_ids",
    "pending_welcome_packs",
    "policy",
    "record_post",
    "reveal_phone",
    "reveal_resident_id",
    "roster",
    "roster_templates",
    "save_roster_template",
    "scoped",
    "search",
    "search_key_texts",
    "set_policy",
    "undo_welcome_pack",
    "update_member",
    "write_new_members",
    "write_records",
]
