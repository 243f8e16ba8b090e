"""Indexes for the member list and search (piccolo's own are single-column)."""

from coop.db import sql_migration

ID = "2026-11-28T15:39:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "member list and search indexes"

INDEXES = [
    "CREATE INDEX member_cooperative_status ON member (cooperative, status, id)",
    "CREATE INDEX member_village_status ON member (village, status, id)",
    "CREATE INDEX member_federation_status ON member (federation, status, id)",
    "CREATE INDEX member_recruited_by ON member (recruited_by)",
    "CREATE INDEX member_search_key_key ON member_search_key (key, member)",
    "CREATE INDEX member_search_key_member ON member_search_key (member)",
]

forwards = sql_migration("members", ID, DESCRIPTION, INDEXES)
