import os

from piccolo.conf.apps import AppConfig

from coop.orgs.tables import Cooperative, StandardItem, Union, Village

APP_CONFIG = AppConfig(
    app_name="orgs",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Union, Village, Cooperative, StandardItem],
)
