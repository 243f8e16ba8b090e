"""Indexes for the member list's usual shape: one place filter, newest first."""

from coop.db import sql_migration

ID = "2026-11-28T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "member list indexes by place, newest first"

INDEXES = [
    "CREATE INDEX member_cooperative_id ON member (cooperative, id)",
    "CREATE INDEX member_village_id ON member (village, id)",
    "CREATE INDEX member_federation_id ON member (federation, id)",
]

forwards = sql_migration("members", ID, DESCRIPTION, INDEXES)
