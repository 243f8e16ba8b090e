"""Piccolo's configuration: the engine from COOP_DATABASE_URL, and the apps."""

from piccolo.conf.apps import AppRegistry

from coop.db import APPS, engine_for
from coop.settings import Settings

DB = engine_for(Settings.from_env())

APP_REGISTRY = AppRegistry(apps=[f"{app}.piccolo_app" for app in APPS])
