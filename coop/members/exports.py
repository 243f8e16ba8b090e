"""The member roster (会员花名册): its columns, header and rows, for CSV and XLSX.

Rows come from `domain.roster` a batch at a time, so any size streams in flat
memory. Numbers are masked unless the export is a full one (federation staff,
confirmed), and every export is written to the audit log with its row count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from coop import db
from coop.accounts.domain import Viewer
from coop.audit import domain as audit
from coop.i18n import current_locale, local_day, translate
from coop.members import domain
from coop.members.choices import ETHNICITIES, POSTS, SEXES, STATUSES
from coop.spreadsheets import Digits
from coop.validation import Msg


@dataclass(frozen=True)
class Column:
    title: Msg
    value: Callable[[dict, int], object]


# Fixed labels (choice names, "Yes") by language: translated once, not once per cell.
# The catalogs are loaded once and never change while the process runs.
_LABELS: dict[tuple[str, str], str] = {}
_YES = Msg("Yes")


def _label(message: Msg) -> str:
    key = (current_locale.get(), message.text)
    label = _LABELS.get(key)
    if label is None:
        label = _LABELS[key] = translate(message)
    return label


def _yes(flag: bool) -> str:
    return _label(_YES) if flag else ""


def _name(names: dict[str, Msg], key: str) -> str:
    return _label(names[key]) if key in names else ""


COLUMNS: dict[str, Column] = {
    "number": Column(Msg("No."), lambda m, n: n),
    "name": Column(Msg("Full name"), lambda m, n: m["name"]),
    "sex": Column(Msg("Sex"), lambda m, n: _name(SEXES, m["sex"])),
    "birth_date": Column(Msg("Birth date"), lambda m, n: m["birth_date"].isoformat()),
    "ethnicity": Column(Msg("Ethnic group"), lambda m, n: _name(ETHNICITIES, m["ethnicity"])),
    "resident_id": Column(
        Msg("Resident ID number"), lambda m, n: Digits(m.get("resident_id") or m["id_masked"])
    ),
    "phone": Column(Msg("Mobile number"), lambda m, n: Digits(m.get("phone") or m["phone_masked"])),
    "village": Column(Msg("Village"), lambda m, n: m["village_name"]),
    "cooperative": Column(Msg("Cooperative"), lambda m, n: m["cooperative_name"]),
    "backbone": Column(Msg("Backbone"), lambda m, n: _yes(m["is_backbone"])),
    "first_batch": Column(Msg("First batch"), lambda m, n: _yes(m["first_batch"])),
    "join_date": Column(
        Msg("Joined on"), lambda m, n: m["join_date"].isoformat() if m["join_date"] else ""
    ),
    "card_number": Column(Msg("Member card"), lambda m, n: Digits(m["card_number"] or "")),
    "status": Column(Msg("Status"), lambda m, n: _name(STATUSES, m["status"])),
    "worker_post": Column(Msg("Worker post"), lambda m, n: _name(POSTS, m["worker_post"])),
    "welcome_pack": Column(
        Msg("Welcome pack issued on"),
        lambda m, n: local_day(m["welcome_pack_at"]).isoformat() if m["welcome_pack_at"] else "",
    ),
}
STANDARD = list(COLUMNS)


def chosen(keys: list[str]) -> list[str]:
    """The known columns among `keys`, in the order given, each once; else the standard set."""
    keys = [k for k in dict.fromkeys(keys) if k in COLUMNS]
    return keys or STANDARD


def header(keys: list[str]) -> list[str]:
    return [translate(COLUMNS[k].title) for k in keys]


@dataclass
class RosterExport:
    """One export: its rows as a stream; the audit row is written when the stream ends."""

    viewer: Viewer
    where: domain.MemberFilter
    keys: list[str]
    full_numbers: bool
    file_format: str

    async def rows(self) -> AsyncIterator[list]:
        count = 0
        finished = False
        values = [COLUMNS[k].value for k in self.keys]
        try:
            async for member in domain.roster(
                self.viewer, self.where, full_numbers=self.full_numbers
            ):
                count += 1
                yield [value(member, count) for value in values]
            finished = True
        finally:
            await self._audit(count, finished)

    async def _audit(self, count: int, finished: bool) -> None:
        filters = {k: v for k, v in vars(self.where).items() if v and k != "page"}
        detail = (
            f"format={self.file_format} rows={count} masked={not self.full_numbers} "
            f"columns={','.join(self.keys)} filters={filters}" + ("" if finished else " incomplete")
        )
        async with db.transaction():
            await audit.record(self.viewer.actor, "export", "member", "", detail[:1000])


def filename(extension: str) -> str:
    return f"{translate(Msg('Member roster'))} {domain.local_today().isoformat()}.{extension}"
