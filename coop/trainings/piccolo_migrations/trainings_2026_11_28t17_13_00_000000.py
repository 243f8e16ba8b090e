"""One registration per phone per session, codes unique per session; the waiting list in order."""

from coop.db import sql_migration

ID = "2026-11-28T17:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration uniqueness and order"

INDEXES = [
    "CREATE UNIQUE INDEX training_registration_session_phone "
    "ON training_registration (session, phone_hash)",
    "CREATE UNIQUE INDEX training_registration_session_code "
    "ON training_registration (session, code)",
    "CREATE INDEX training_registration_session_status_number "
    "ON training_registration (session, status, number)",
]

forwards = sql_migration("trainings", ID, DESCRIPTION, INDEXES)
