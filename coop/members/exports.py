"""The member roster (会员花名册): its columns, header and rows, for CSV and XLSX.

The database makes every cell's text (see `Column`), for CSV every line but its row
number (and full numbers, which Python decrypts), and the rows come from
`queries.roster` a batch at a time, so any size streams in flat memory and Python only
joins bytes. Numbers are masked unless the export is a full one (federation staff,
confirmed), and every export is written to the audit log with its row count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from coop import db
from coop.access import Viewer, today
from coop.audit import domain as audit
from coop.codes.gb_t_2261_1_2003 import CODE_OF_LETTER
from coop.i18n import TIME_ZONE, translate
from coop.members import queries
from coop.members.choices import CODED, ETHNICITIES, POSTS, SEXES, STATUSES
from coop.members.domain.export_profiles import Profile
from coop.spreadsheets import RISKY_STARTS, csv_header, csv_row, safe_text, xlsx_chunks
from coop.validation import Msg


@dataclass(frozen=True)
class Column:
    """One roster column: its title, and which roster field it shows as what kind of cell.

    kinds: "number" (the row's number, 1, 2, …: counted in Python, as a window function
    costs the database more than all the other cells), "text" (free text: formula-neutralised
    in CSV), "choice" (the name of a choice in `choices`, '' if unknown), "yes" ("Yes" or
    ''), "date" (ISO), "day" (the ISO day of a moment, where the union works), "digits"
    (a number that must stay text: a trailing tab in CSV; `secret` is the field holding
    it in full, for full-number exports), "code" (a stored value written as the standard's
    code from `codes`, kept as text like digits), "flag" (a yes/no as the code 1 or 0).
    """

    title: Msg
    kind: str
    field: str = ""  # a field of queries.ROSTER_COLUMNS
    choices: dict[str, Msg] | None = None
    secret: str = ""  # a field of queries.ROSTER_SECRETS
    codes: dict[str, str] | None = None


def _coded_columns(name: str, title: Msg, code_title: Msg) -> dict[str, Column]:
    """A coded field's two columns: its label in the reader's language, and its code."""
    return {
        name: Column(title, "choice", name, CODED[name].labels),
        f"{name}_code": Column(code_title, "digits", name),
    }


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
# The real-name record (会员实名制): off the standard roster, there for templates and profiles.
COLUMNS |= {
    "sex_code": Column(Msg("Sex (GB/T 2261.1 code)"), "code", "sex", codes=CODE_OF_LETTER),
    **_coded_columns("education", Msg("Education"), Msg("Education (GB/T 4658 code)")),
    **_coded_columns(
        "political_status", Msg("Political status"), Msg("Political status (GB/T 4762 code)")
    ),
    **_coded_columns(
        "employment_status", Msg("Employment status"), Msg("Employment status (code)")
    ),
    **_coded_columns("skill_level", Msg("Skill level"), Msg("Skill level (code)")),
    "migrant_worker": Column(Msg("Migrant worker"), "yes", "migrant_worker"),
    "migrant_worker_code": Column(Msg("Migrant worker (1 yes, 0 no)"), "flag", "migrant_worker"),
    "hukou_region": Column(Msg("Household registration (region code)"), "digits", "hukou_region"),
    "residence_region": Column(Msg("Residence (region code)"), "digits", "residence_region"),
    "residence_address": Column(Msg("Residence address"), "text", "residence_address"),
    "employer": Column(Msg("Employer"), "text", "employer"),
    **_coded_columns("poverty_status", Msg("Poverty status"), Msg("Poverty status (code)")),
}
# 特定身份 information: only federation staff export it.
STAFF_ONLY = frozenset({"poverty_status", "poverty_status_code"})
TAB = "\t"


# The code columns, and the codes a profile's code map may name.
CODE_LISTS = {
    "sex_code": tuple(CODE_OF_LETTER.values()),
    "migrant_worker_code": ("1", "0"),
    **{f"{name}_code": codes.codes for name, codes in CODED.items()},
}


def profile_fields() -> dict[str, tuple[str, ...] | None]:
    """What a profile may name: every column, with its codes if it holds codes."""
    return {key: CODE_LISTS.get(key) for key in COLUMNS if key != "number"}


def profile_columns(profile: Profile, viewer: Viewer) -> list[Column]:
    """The profile's columns the viewer may export, under its headers, its codes and dates."""
    columns = []
    for wanted in profile.columns:
        if wanted.field not in chosen([wanted.field], viewer):
            continue
        column = replace(COLUMNS[wanted.field], title=Msg(wanted.header))
        if wanted.codes and column.kind == "code":
            theirs = {k: wanted.codes.get(code, code) for k, code in column.codes.items()}
            column = replace(column, codes=theirs)
        elif wanted.codes and column.kind == "flag":
            column = replace(column, codes={"1": "1", "0": "0"} | wanted.codes)
        elif wanted.codes:
            codes = CODE_LISTS[wanted.field]
            column = replace(column, kind="code", codes={c: wanted.codes.get(c, c) for c in codes})
        if profile.date_format == "YYYYMMDD" and column.kind in ("date", "day"):
            column = replace(column, kind=f"{column.kind}_compact")
        columns.append(column)
    return columns


def chosen(keys: list[str], viewer: Viewer | None = None) -> list[str]:
    """The known columns among `keys` the viewer may export, in the order given, each once;
    else the standard set."""
    staff = viewer is None or viewer.can_approve
    keys = [k for k in dict.fromkeys(keys) if k in COLUMNS and (staff or k not in STAFF_ONLY)]
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


def _starts_risky(text: str) -> str:
    """SQL: whether the text starts as a formula would (RISKY_STARTS)."""
    starts = "".join(sorted(RISKY_STARTS, key=lambda c: c == "-"))  # '-' last in a class
    if db.is_sqlite():
        return f"{text} GLOB '[{starts}]*'"
    return f"{text} ~ '^[{starts}]'"


def _needs_quotes(text: str) -> str:
    """SQL: whether csv.writer would quote the text (a comma, a quote or a line break)."""
    if db.is_sqlite():
        return f"{text} GLOB '*[,\"\n\r]*'"
    return f"{text} ~ '[,\"\n\r]'"


def _csv_field(text: str) -> str:
    """A fixed text (a label) as a CSV field, made safe as `spreadsheets.safe_text` does."""
    return csv_row([safe_text(text)])[:-2]


def _shown_sql(column: Column, label=str) -> str:
    """SQL: what the column shows of the roster row `r`, NULL when nothing: a choice's or
    "Yes"'s name in the current language (written by `label`), a date's ISO day, or the
    stored text."""
    value = f'r."{column.field}"'
    if column.kind == "choice":
        names = " ".join(
            f"WHEN {_literal(key)} THEN {_literal(label(translate(name)))}"
            for key, name in (column.choices or {}).items()
        )
        return f"CASE {value} {names} END"
    if column.kind == "yes":
        return f"CASE WHEN {value} THEN {_literal(label(translate(Msg('Yes'))))} END"
    if column.kind == "code":
        codes = " ".join(
            f"WHEN {_literal(key)} THEN {_literal(code)}" for key, code in column.codes.items()
        )
        return f"CASE {value} {codes} END"
    if column.kind == "flag":
        yes, no = (column.codes or {}).get("1", "1"), (column.codes or {}).get("0", "0")
        return f"CASE WHEN {value} THEN {_literal(yes)} ELSE {_literal(no)} END"
    if column.kind == "date":
        return _iso_day(value)
    if column.kind == "day":
        return _local_day(value)
    if column.kind in ("date_compact", "day_compact"):
        day = _iso_day(value) if column.kind == "date_compact" else _local_day(value)
        return f"replace({day}, '-', '')"
    if column.kind in ("text", "digits"):
        return value
    raise ValueError(f"unknown column kind {column.kind!r}")


def cell_sql(column: Column, full_numbers: bool) -> str:
    """The SQL that makes the column's cell (for XLSX: plain text) from the roster row `r`.
    Full numbers are decrypted by `queries.roster`; the row number is counted in Python (a
    window function costs the database more than all the other cells)."""
    if column.kind == "number":
        return "NULL"
    if full_numbers and column.secret:
        return f'r."{column.secret}"'
    return f"COALESCE({_shown_sql(column)}, '')"


def csv_field_sql(column: Column) -> tuple[str, list[str]]:
    """The column's CSV field, as `spreadsheets.csv_chunks` writes any other cell
    (formula-neutralised, quoted where needed, numbers as text): a piece of a printf
    template and the SQL of its arguments. printf prints NULL as nothing."""
    value = _shown_sql(column, _csv_field)
    if column.kind == "text":
        safe = f"CASE WHEN {_starts_risky(value)} THEN '''' || {value} ELSE {value} END"
        quoted = f"""'"' || replace({safe}, '"', '""') || '"'"""
        return "%s", [f"CASE WHEN {_needs_quotes(value)} THEN {quoted} ELSE {safe} END"]
    if column.kind in ("digits", "code"):  # digits, X, * or a card prefix: never quoted
        if db.is_sqlite():  # the tab only after a number: its precision is 0 or 1
            return "%s%.*s", [value, f"{value} <> ''", f"'{TAB}'"]
        return "%s", [f"NULLIF({value}, '') || '{TAB}'"]
    return "%s", [value]


def _csv_line(fields: list[tuple[str, list[str]]], separators: list[str], after: str = "") -> str:
    """SQL: the fields, each after its separator, then `after`, as UTF-8 bytes, which
    Python takes as they are. One printf writes the text once; joining with || copies it
    again for every field (a million rows: 2.8 s against 3.7 s in SQLite)."""
    template = "".join(sep + piece for sep, (piece, _) in zip(separators, fields, strict=True))
    template += after
    arguments = "".join(f", {sql}" for _, sqls in fields for sql in sqls)
    if db.is_sqlite():
        return f"CAST(printf('{template}'{arguments}) AS BLOB)"
    return f"convert_to(format('{template}'{arguments}), 'UTF8')"


@dataclass
class RosterExport:
    """One export: its file as a stream; the audit row is written when the stream ends."""

    viewer: Viewer
    where: queries.MemberFilter
    keys: list[str]
    full_numbers: bool
    file_format: str
    count: int = 0
    profile: Profile | None = None
    columns: list[Column] = field(default_factory=list)

    def __post_init__(self):
        if self.profile:
            self.columns = profile_columns(self.profile, self.viewer)
            self.keys = [c.field or c.kind for c in self.columns]
        else:
            self.columns = [COLUMNS[k] for k in self.keys]

    def header(self) -> list[str]:
        return [translate(c.title) for c in self.columns]

    def sheet(self) -> tuple[str, tuple[str, ...]]:
        """The sheet's name and title rows."""
        if self.profile:
            return self.profile.sheet, self.profile.title_rows
        return translate(Msg("Member roster")), ()

    def chunks(self) -> AsyncIterator[bytes]:
        """The file, in chunks: CSV as the rows come, XLSX once built (in constant memory)."""
        if self.file_format == "xlsx":
            sheet, titles = self.sheet()
            return xlsx_chunks(sheet, self.header(), self.rows(), titles)
        return self._csv()

    async def rows(self) -> AsyncIterator[Sequence]:
        """Each row's cells (for XLSX)."""
        columns = self.columns
        cells = [cell_sql(c, self.full_numbers) for c in columns]
        secret = [i for i, c in enumerate(columns) if c.secret] if self.full_numbers else []
        number = next((i for i, c in enumerate(columns) if c.kind == "number"), None)
        async for batch in self._batches(cells, secret):
            for row in batch:
                self.count += 1
                if number is not None:
                    row = (*row[:number], self.count, *row[number + 1 :])
                yield row

    async def _csv(self) -> AsyncIterator[bytes]:
        """The CSV file. The database makes each line, in parts around the cells Python
        fills in (the row number, full numbers), so Python only joins bytes."""
        yield csv_header(self.header())
        selected, layout, secret = [], [], []  # what the query reads; how a line is laid out
        fields, separators = [], []  # of the part being made

        def end_part(after: str = "") -> None:
            if fields or separators or after:
                selected.append(_csv_line(fields, separators, after))
                layout.append("part")
            fields.clear()
            separators.clear()

        for position, column in enumerate(self.columns):
            separator = "," if position else ""
            if column.kind == "number" or (self.full_numbers and column.secret):
                end_part(separator)
                layout.append(column.kind)
                if column.kind != "number":
                    secret.append(len(selected))
                    selected.append(f'r."{column.secret}"')
            else:
                fields.append(csv_field_sql(column))
                separators.append(separator)
        end_part("\r\n")
        async for batch in self._batches(selected, secret):
            first = self.count + 1
            self.count += len(batch)
            yield _lines(batch, layout, first)

    async def _batches(self, cells: list[str], secret: list[int]):
        finished = False
        try:
            async for batch in queries.roster(
                self.viewer, self.where, cells, full_numbers=self.full_numbers, reveal=secret
            ):
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


def _lines(batch: Sequence[Sequence], layout: list[str], first: int) -> bytes:
    """CSV lines from rows of parts the database made; `layout` says what goes where:
    a part ("part"), the row's number ("number"), or a full number, decrypted, kept as
    text (any other kind). A line of one empty field is `""`, as csv.writer writes it
    (an empty line would be skipped by readers)."""
    if layout == ["number", "part"]:  # the usual roster
        return b"".join([b"%d%s" % (n, part) for n, (part,) in enumerate(batch, first)])
    lines = []
    for n, row in enumerate(batch, first):
        parts, line = iter(row), []
        for kind in layout:
            if kind == "number":
                line.append(b"%d" % n)
            elif kind == "part":
                line.append(next(parts))
            else:
                number = next(parts)
                line.append(f"{number}{TAB}".encode() if number else b"")
        lines.append(b"".join(line))
    return b"".join([b'""\r\n' if line == b"\r\n" else line for line in lines])


def filename(extension: str) -> str:
    return f"{translate(Msg('Member roster'))} {today().isoformat()}.{extension}"
