import os

from piccolo.conf.apps import AppConfig

from coop.accounts.tables import (
    ApiToken,
    IdempotencyRecord,
    RateCount,
    StoredValue,
    User,
    UserScope,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[User, UserScope, StoredValue, IdempotencyRecord, ApiToken, RateCount],
    migration_dependencies=["coop.orgs.piccolo_app"],
)
