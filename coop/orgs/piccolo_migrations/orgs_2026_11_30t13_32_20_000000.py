"""A federation's checklist has each default item once, and added items with different titles.

Partial unique indexes: the same SQL on both engines.
"""

from coop.db import sql_migration

ID = "2026-11-30T13:32:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "standards checklist items unique per federation"

UNIQUE_INDEXES = [
    'CREATE UNIQUE INDEX federation_standard_item_key ON federation_standard_item (federation, "key")'
    " WHERE \"key\" <> ''",
    "CREATE UNIQUE INDEX federation_standard_item_title ON federation_standard_item"
    " (federation, title) WHERE title <> ''",
]

forwards = sql_migration("orgs", ID, DESCRIPTION, UNIQUE_INDEXES)
