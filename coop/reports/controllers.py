"""The dashboard page: figures, charts and tables for the viewer's part of the union tree."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery

from coop.access import MANAGERS, Viewer, require, today
from coop.forms import optional_date
from coop.guards import organizers, provide_viewer
from coop.i18n import translate
from coop.reports import charts, domain, exports, membership
from coop.spreadsheets import XLSX_TYPE, attachment
from coop.validation import Msg, ValidationError
from coop.web import FormState, page


def _period(request: Request) -> tuple[dt.date, dt.date, dict[str, Msg]]:
    """The period asked for (default: this year up to today), and what is wrong with it."""
    errors: dict[str, Msg] = {}
    day = today()
    start = optional_date(errors, "start", request.query_params.get("start"))
    end = optional_date(errors, "end", request.query_params.get("end"))
    return start or dt.date(day.year, 1, 1), end or day, errors


class ReportController(Controller):
    include_in_schema = False
    path = "/reports"
    guards = [organizers]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="reports")
    async def dashboard(self, viewer: NamedDependency[Viewer], union: FromQuery[int] = 0) -> object:
        return page(
            "reports/dashboard.html",
            board=await domain.dashboard(viewer, union or None),
            unions=await domain.choosable_unions(viewer),
            charts=charts,
        )

    @get("/membership")
    async def membership(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        """会员增减变动表 for a period."""
        require(viewer, MANAGERS)
        start, end, errors = _period(request)
        table = None
        if not errors:
            try:
                table = await membership.membership_report(viewer, start, end)
            except ValidationError as error:
                errors = error.errors
        return page(
            "reports/membership.html",
            status_code=422 if errors else 200,
            table=table,
            form=FormState({"start": start.isoformat(), "end": end.isoformat()}, errors),
            groups=list(membership.GROUPS),
            group_names=membership.GROUP_NAMES,
            columns=membership.COLUMNS,
            column_names=membership.COLUMN_NAMES,
        )

    @get("/membership.xlsx")
    async def membership_xlsx(self, request: Request, viewer: NamedDependency[Viewer]) -> Response:
        require(viewer, MANAGERS)
        start, end, errors = _period(request)
        if errors:
            raise ValidationError(errors)
        table = await membership.membership_report(viewer, start, end)
        name = f"{translate(exports.MEMBERSHIP_TITLE)}_{start.isoformat()}_{end.isoformat()}.xlsx"
        return Response(
            exports.membership_xlsx(table), media_type=XLSX_TYPE, headers=attachment(name)
        )
