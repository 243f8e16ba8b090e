"""Names are unique within their parent.

Piccolo adds constraints with ALTER TABLE, which SQLite lacks; a unique index
does the same job on both engines.
"""

from coop.db import sql_migration

ID = "2026-11-28T15:12:19:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique names within their parent"

UNIQUE_INDEXES = [
    "CREATE UNIQUE INDEX trade_union_name_in_parent ON trade_union (parent, name)",
    "CREATE UNIQUE INDEX village_name_in_town ON village (town, name)",
    "CREATE UNIQUE INDEX cooperative_name_in_federation ON cooperative (federation, name)",
]

forwards = sql_migration("orgs", ID, DESCRIPTION, UNIQUE_INDEXES)
