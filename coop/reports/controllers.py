"""The dashboard page: figures, charts and tables for the viewer's part of the union tree."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery

from coop.access import Viewer
from coop.guards import organizers, provide_viewer
from coop.reports import charts, domain
from coop.web import page


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
