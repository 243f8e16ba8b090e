import os

from piccolo.conf.apps import AppConfig

from coop.members.tables import (
    EnrollmentPolicy,
    Member,
    MemberEvent,
    MemberSearchKey,
    MembershipChange,
    MemberTransfer,
    RosterTemplate,
    RosterUpload,
    WorkerPost,
)

APP_CONFIG = AppConfig(
    app_name="members",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        EnrollmentPolicy,
        Member,
        MemberSearchKey,
        MemberEvent,
        WorkerPost,
        RosterTemplate,
        RosterUpload,
        MembershipChange,
        MemberTransfer,
    ],
    migration_dependencies=["coop.accounts.piccolo_app"],
)
