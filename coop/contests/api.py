"""JSON API for contests: the list (token), published results (public), a judge's scores."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from coop.access import Viewer
from coop.accounts.guards import api_token, public_rate_limit
from coop.api import RowIdParameter
from coop.contests import domain, forms, queries
from coop.guards import provide_viewer
from coop.validation import NotFound


class ContestOut(msgspec.Struct):
    id: int
    title: str
    union: str
    status: str
    results_path: str | None


class ResultOut(msgspec.Struct):
    rank: int
    names: str
    villages: str
    cooperatives: str
    title: str
    total: str
    award: str


class ResultsOut(msgspec.Struct):
    contest: str
    published_at: dt.datetime | None
    results: list[ResultOut]


class ScoresIn(msgspec.Struct):
    scores: dict[str, str]  # criterion id → score, e.g. {"12": "18.5"}
    versions: dict[str, int] = {}  # criterion id → the version you last saw (0: none)


class ScoreOut(msgspec.Struct):
    criterion_id: int
    score: str
    version: int


class ContestApiController(Controller):
    path = "/api/v1/contests"
    tags = ["contests"]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", guards=[api_token], summary="Contests in scope, or on the judge's panels")
    async def list_contests(self, viewer: NamedDependency[Viewer]) -> list[ContestOut]:
        return [
            ContestOut(
                id=c["id"],
                title=c["title"],
                union=c["union_name"],
                status=c["status"],
                results_path=f"/results/{c['slug']}"
                if c["status"] == domain.Status.published.value
                else None,
            )
            for c in await domain.contests(viewer)
        ]

    @get(
        "/{contest_id:int}/results",
        guards=[public_rate_limit],
        summary="Published results (public: names, places and awards only)",
    )
    async def results(self, contest_id: RowIdParameter) -> ResultsOut:
        slug = await queries.contest_slug(contest_id)
        if slug is None:
            raise NotFound
        public = await domain.public_results(slug)
        return ResultsOut(
            contest=public["contest"]["title"],
            published_at=public["contest"]["published_at"],
            results=[ResultOut(**{**r, "total": str(r["total"])}) for r in public["rows"]],
        )

    @put(
        "/{contest_id:int}/entries/{entry_id:int}/scores",
        guards=[api_token],
        summary="A judge's own scores for one entry",
    )
    async def save_scores(
        self,
        viewer: NamedDependency[Viewer],
        contest_id: RowIdParameter,
        entry_id: RowIdParameter,
        data: JSONBody[ScoresIn],
    ) -> list[ScoreOut]:
        """Same rules as the scoring page: 0 to the maximum, 2 places; a resent score is
        kept once; a `versions` value older than the stored score is refused (422)."""
        current = await domain.entry_scores(viewer, contest_id, entry_id)  # read once a save
        scores, versions = forms.typed_scores(data.scores, data.versions, current.criteria)
        saved = await domain.save_scores(
            viewer, contest_id, entry_id, scores, versions, sheet=current
        )
        return [
            ScoreOut(criterion_id=c, score=str(s.score), version=s.version)
            for c, s in sorted(saved.items())
        ]
