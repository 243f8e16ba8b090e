"""One registration per phone per session, disputed ones aside (see the previous file)."""

from coop.db import sql_migration

ID = "2026-12-05T15:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration phone unique unless disputed"

INDEXES = [
    "DROP INDEX training_registration_session_phone",
    "CREATE UNIQUE INDEX training_registration_session_phone "
    "ON training_registration (session, phone_hash) WHERE disputed_at IS NULL",
]

forwards = sql_migration("trainings", ID, DESCRIPTION, INDEXES)
