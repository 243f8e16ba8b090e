"""The member roster (会员花名册): its columns, header and rows, for CSV and XLSX.

The database makes every cell's text (see `Column`), and the rows come from
`domain.roster` a batch at a time, so any size streams in flat memory and the
CSV needs no per-cell work in Python. Numbers are masked unless the export is
a full one (federation staff, confirmed), and every export is written to the
audit log with its row count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from coop import db
from coop.accounts.domain import Viewer
from coop.audit import domain as audit
from coop.i18n import TIME_ZONE, translate
from coop.members import domain
from coop.members.choices import ETHNICITIES, POSTS, SEXES, STATUSES
from coop.spreadsheets import RISKY_STARTS, csv_text, safe_text, xlsx_chunks
from coop.validation import Msg


@dataclass(frozen=True)
class Column:
    """One roster column: its title, and which roster field it shows as what kind of cell.

    kinds: "number" (the row's number, 1, 2, …: counted in Python, as a window function
    costs the database more than all the other cells), "text" (free text: formula-neutralised
    in CSV), "choice" (the name of a choice in `choices`, '' if unknown), "yes" ("Yes" or
    ''), "date" (ISO), "day" (the ISO day of a moment, where the union works), "digits"
    (a number that must stay text: a trailing tab in CSV; `secret` is the field holding
    it in full, for full-number exports).
    """

    title: Msg
    kind: str
    field: str = ""  # a field of domain.ROSTER_COLUMNS
    choices: dict[str, Msg] | None = None
    secret: str = ""  # a field of domain.ROSTER_SECRETS


COLUMNS: dict[str, Column] = {
    "number": Column(Msg("No."), "number"),
    "name": Column(Msg("Full name"), "text", "name"),
    "sex": Column(Msg("Sex"), "choice", "sex", SEXES),
    "birth_date": Column(Msg("Birth date"), "date", "birth_date"),
    "ethnicity": Column(Msg("Ethnic group"), "choice", "ethnicity", ETHNICITIES),
    "resident_id": Column(Msg("Resident ID number"), "digits", "id_masked", secret="id_encrypted"),
    "phone": Column(Msg("Mobile number"), "digits", "phone_masked", secret="phone_encrypted"),
    "village": Column(Msg("Village"), "text", "village_name"),
    "cooperative": Column(Msg("Cooperative"), "text", "cooperative_name"),
    "backbone": Column(Msg("Backbone"), "yes", "is_backbone"),
    "first_batch": Column(Msg("First batch"), "yes", "first_batch"),
    "join_date": Column(Msg("Joined on"), "date", "join_date"),
    "card_number": Column(Msg("Member card"), "digits", "card_number"),
    "status": Column(Msg("Status"), "choice", "status", STATUSES),
    "worker_post": Column(Msg("Worker post"), "choice", "worker_post", POSTS),
    "welcome_pack": Column(Msg("Welcome pack issued on"), "day", "welcome_pack_at"),
}
STANDARD = list(COLUMNS)
TAB = "\t"


def chosen(keys: list[str]) -> list[str]:
    """The known columns among `keys`, in the order given, each once; else the standard set."""
    keys = [k for k in dict.fromkeys(keys) if k in COLUMNS]
    return keys or STANDARD


def header(keys: list[str]) -> list[str]:
    return [translate(COLUMNS[k].title) for k in keys]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _iso_day(value: str) -> str:
    """SQL: the ISO text of a date."""
    return value if db.is_sqlite() else f"to_char({value}, 'YYYY-MM-DD')"


def _local_day(value: str) -> str:
    """SQL: the ISO day of a moment where the union works (as `i18n.local_day`). SQLite
    has no time zones: Asia/Shanghai has kept UTC+8 since 1991, so its offset will do."""
    if db.is_sqlite():
        offset = ZoneInfo(TIME_ZONE).utcoffset(dt.datetime.now())
        return f"date({value}, '{offset.total_seconds() / 60:+.0f} minutes')"
    return f"to_char({value} AT TIME ZONE {_literal(TIME_ZONE)}, 'YYYY-MM-DD')"


def cell_sql(column: Column, for_csv: bool, full_numbers: bool) -> str:
    """The SQL that makes the column's cell from the roster row `r`, in the current language.

    For CSV the cells are final: formula-neutralised and numbers-as-text the same way
    as `spreadsheets.csv_chunks` makes any other cell. For XLSX they are plain text,
    and the number a number.
    """
    safe = safe_text if for_csv else str
    value = f'r."{column.field}"'
    if column.kind == "number":
        return "NULL"  # counted in RosterExport.batches
    if column.kind == "text":
        text = f"COALESCE({value}, '')"
        if not for_csv:
            return text
        risky = ", ".join(_literal(start) for start in RISKY_STARTS)
        return f"CASE WHEN substr({text}, 1, 1) IN ({risky}) THEN '''' || {text} ELSE {text} END"
    if column.kind == "choice":
        names = " ".join(
            f"WHEN {_literal(key)} THEN {_literal(safe(translate(name)))}"
            for key, name in (column.choices or {}).items()
        )
        return f"CASE {value} {names} ELSE '' END"
    if column.kind == "yes":
        return f"CASE WHEN {value} THEN {_literal(safe(translate(Msg('Yes'))))} ELSE '' END"
    if column.kind == "date":
        return f"COALESCE({_iso_day(value)}, '')"
    if column.kind == "day":
        return f"COALESCE({_local_day(value)}, '')"
    if column.kind == "digits":
        if full_numbers and column.secret:
            return f'r."{column.secret}"'  # decrypted by domain.roster
        if not for_csv:
            return f"COALESCE({value}, '')"
        return f"CASE WHEN {value} IS NULL OR {value} = '' THEN '' ELSE {value} || '{TAB}' END"
    raise ValueError(f"unknown column kind {column.kind!r}")


@dataclass
class RosterExport:
    """One export: its file as a stream; the audit row is written when the stream ends."""

    viewer: Viewer
    where: domain.MemberFilter
    keys: list[str]
    full_numbers: bool
    file_format: str
    count: int = 0

    def chunks(self) -> AsyncIterator[bytes]:
        """The file, in chunks: CSV as the rows come, XLSX once built (in constant memory)."""
        if self.file_format == "xlsx":
            return xlsx_chunks(translate(Msg("Member roster")), header(self.keys), self.rows())
        return csv_text(header(self.keys), self.batches())

    async def rows(self) -> AsyncIterator[Sequence]:
        async for batch in self.batches():
            for row in batch:
                yield row

    async def batches(self) -> AsyncIterator[Sequence[Sequence]]:
        for_csv = self.file_format == "csv"
        columns = [COLUMNS[k] for k in self.keys]
        cells = [cell_sql(c, for_csv, self.full_numbers) for c in columns]
        secret = [i for i, c in enumerate(columns) if c.secret] if self.full_numbers else []
        number = next((i for i, c in enumerate(columns) if c.kind == "number"), None)
        finished = False
        try:
            async for batch in domain.roster(
                self.viewer, self.where, cells, full_numbers=self.full_numbers, reveal=secret
            ):
                if secret and for_csv:
                    batch = [_digits_as_text(row, secret) for row in batch]
                if number is not None:
                    first = self.count + 1
                    batch = [(*r[:number], n, *r[number + 1 :]) for n, r in enumerate(batch, first)]
                self.count += len(batch)
                yield batch
            finished = True
        finally:
            await self._audit(self.count, finished)

    async def _audit(self, count: int, finished: bool) -> None:
        filters = {k: v for k, v in vars(self.where).items() if v and k != "page"}
        detail = (
            f"format={self.file_format} rows={count} masked={not self.full_numbers} "
            f"columns={','.join(self.keys)} filters={filters}" + ("" if finished else " incomplete")
        )
        async with db.transaction():
            await audit.record(self.viewer.actor, "export", "member", "", detail[:1000])


def _digits_as_text(row: list, positions: list[int]) -> list:
    """The full numbers, with the trailing tab the masked ones get in SQL."""
    for i in positions:
        row[i] = f"{row[i]}{TAB}" if row[i] else ""
    return row


def filename(extension: str) -> str:
    return f"{translate(Msg('Member roster'))} {domain.local_today().isoformat()}.{extension}"
