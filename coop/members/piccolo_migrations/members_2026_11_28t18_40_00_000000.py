"""A user's roster templates have different names."""

from coop.db import sql_migration

ID = "2026-11-28T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "roster template names unique per user"

INDEXES = ['CREATE UNIQUE INDEX roster_template_user_name ON roster_template ("user", name)']

forwards = sql_migration("members", ID, DESCRIPTION, INDEXES)
