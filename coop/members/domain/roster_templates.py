"""Roster templates: a user's own named choice of export columns (read in queries.py)."""

from __future__ import annotations

import json

from coop import db
from coop.access import ORGANIZERS, Viewer, require
from coop.members.tables import RosterTemplate

TEMPLATE_NAME_MAX = 50


async def save_roster_template(viewer: Viewer, name: str, columns: list[str]) -> None:
    """Save (or replace) a named set of columns for this user."""
    require(viewer, ORGANIZERS)
    async with db.transaction():
        await RosterTemplate.delete().where(
            (RosterTemplate.user == viewer.id) & (RosterTemplate.name == name)
        )
        await RosterTemplate.insert(
            RosterTemplate(user=viewer.id, name=name, columns=json.dumps(columns))
        ).run()
