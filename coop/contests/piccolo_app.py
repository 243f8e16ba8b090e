import os

from piccolo.conf.apps import AppConfig

from coop.contests.tables import (
    Contest,
    Criterion,
    Entry,
    EntryMember,
    Figure,
    Judge,
    Result,
    Score,
)

APP_CONFIG = AppConfig(
    app_name="contests",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Contest, Criterion, Entry, EntryMember, Figure, Judge, Score, Result],
    migration_dependencies=["coop.members.piccolo_app"],
)
