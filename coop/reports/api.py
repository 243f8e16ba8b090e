"""JSON API: the membership statistics (会员增减变动表) for a period."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery

from coop.access import Viewer, today
from coop.accounts.guards import api_token
from coop.guards import provide_viewer
from coop.reports import membership


class MembershipFigures(msgspec.Struct):
    """One line of the table: the columns of membership.COLUMNS."""

    start: int
    joined: int
    transferred_in: int
    transferred_out: int
    expelled: int
    withdrawn: int
    retained: int
    end: int
    retained_at_end: int
    new_this_year: int


class UnionMembership(msgspec.Struct):
    union_id: int | None  # None: all the unions together
    name: str
    groups: dict[str, MembershipFigures]  # total, women, backbone…


class MembershipOut(msgspec.Struct):
    start: dt.date
    end: dt.date
    unions: list[UnionMembership]
    total: UnionMembership


def _union(u: membership.UnionFigures) -> UnionMembership:
    return UnionMembership(
        u.union_id, u.name, {g: MembershipFigures(**f) for g, f in u.groups.items()}
    )


class ReportApiController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [api_token]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/membership", summary="Membership changes per union for a period (会员增减变动表)")
    async def membership(
        self,
        viewer: NamedDependency[Viewer],
        start: FromQuery[dt.date | None] = None,
        end: FromQuery[dt.date | None] = None,
    ) -> MembershipOut:
        """Default period: this year up to today."""
        day = today()
        table = await membership.membership_report(
            viewer, start or dt.date(day.year, 1, 1), end or day
        )
        return MembershipOut(
            table.start, table.end, [_union(u) for u in table.unions], _union(table.total)
        )
