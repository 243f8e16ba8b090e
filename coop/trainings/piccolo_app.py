import os

from piccolo.conf.apps import AppConfig

from coop.trainings.tables import Programme, Registration, TrainingSession

APP_CONFIG = AppConfig(
    app_name="trainings",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Programme, TrainingSession, Registration],
    migration_dependencies=["coop.members.piccolo_app"],
)
