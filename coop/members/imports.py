"""Roster import: the spreadsheets organizers already keep, as new applicants.

A file is read into a `Sheet` (XLSX/XLS/ODS by python-calamine; CSV in UTF-8,
UTF-8 with BOM, UTF-16 or GB18030), its header row found under any title rows,
its columns matched to fields, and every row checked by the enrollment form's
own rules. The preview says what each row would be; the import then writes all
chosen rows in one transaction, or none. Between the two, the rows wait in the
database, encrypted (they hold ID numbers), and are deleted when the import is
done or dropped, or after a day.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

import anyio

from coop import db, privacy
from coop.access import MANAGERS, Viewer, actor_id, now, require
from coop.audit import domain as audit
from coop.codes.acftu_member_codes import MIGRANT_WORKER
from coop.i18n import LOCALES, translations
from coop.members import domain, queries
from coop.members.choices import CODED, ETHNICITIES, POSTS, coded, region
from coop.members.identity import check_mobile, check_resident_id, normalise_digits
from coop.members.roster_file import (
    HEADER_SEARCH_ROWS,
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_ROWS,
    TOO_LARGE,
    cell_too_long,
    file_rows,
    too_many_rows,
)
from coop.members.tables import RosterUpload
from coop.orgs import domain as orgs
from coop.orgs.tables import Union
from coop.validation import Msg, NotFound, ValidationError, clean_text

KEEP_FOR = dt.timedelta(days=1)
# Reading, checking and encrypting thousands of rows is CPU work: done in worker threads,
# so the server answers everyone else meanwhile; two imports at a time, so they cannot
# take every thread nor the memory (each within roster_file's budget).
_WORKERS = anyio.CapacityLimiter(2)


async def _in_worker(function, *args):
    return await anyio.to_thread.run_sync(functools.partial(function, *args), limiter=_WORKERS)


@dataclass(frozen=True)
class Field:
    title: Msg
    required: bool
    aliases: tuple[str, ...]  # besides the title in every language


FIELDS: dict[str, Field] = {
    "name": Field(Msg("Full name"), True, ("姓名", "名字", "会员姓名", "name")),
    "resident_id": Field(
        Msg("Resident ID number"),
        True,
        ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "id number", "id"),
    ),
    "phone": Field(
        Msg("Mobile number"),
        True,
        ("手机号", "手机", "手机号码", "联系电话", "电话", "联系方式", "mobile", "phone"),
    ),
    "village": Field(Msg("Village"), True, ("村", "村名", "所在村", "村庄", "村(社区)")),
    "cooperative": Field(Msg("Cooperative"), True, ("合作社名称", "所属合作社", "社名")),
    "backbone": Field(Msg("Backbone"), False, ("骨干成员", "是否骨干")),
    "ethnicity": Field(Msg("Ethnic group"), False, ("民族", "ethnicity")),
    "education": Field(Msg("Education"), False, ("文化程度", "学历", "学历代码")),
    "political_status": Field(Msg("Political status"), False, ("政治面貌", "政治面貌代码")),
    "employment_status": Field(Msg("Employment status"), False, ("就业状况", "就业状况代码")),
    "skill_level": Field(Msg("Skill level"), False, ("技术等级", "职业技能等级")),
    "migrant_worker": Field(Msg("Migrant worker"), False, ("是否农民工", "农民工")),
    "hukou_region": Field(
        Msg("Household registration (region code)"), False, ("户籍所在地", "户籍所在地代码")
    ),
    "residence_region": Field(
        Msg("Residence (region code)"), False, ("现居住地代码", "现居住地区划代码")
    ),
    "residence_address": Field(Msg("Residence address"), False, ("现居住地", "现居住地址")),
    "employer": Field(Msg("Employer"), False, ("工作单位", "工作单位名称")),
    "poverty_status": Field(
        Msg("Poverty status"), False, ("户类型", "农户类型", "脱贫户", "是否脱贫户", "特定身份")
    ),
    "worker_post": Field(Msg("Worker post"), False, ("岗位", "工作岗位", "post")),
}
YES = {"是", "骨干", "y", "yes", "1", "√", "✓", "true", "是骨干"}
NO = {"", "否", "不是", "n", "no", "0", "false", "×"}
SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)


@dataclass
class Sheet:
    """The table read from a file: its header and its non-empty rows by spreadsheet line."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


@dataclass
class PreviewRow:
    line: int
    outcome: str  # "new", "existing" or "error"
    name: str
    id_masked: str
    village: str
    cooperative: str
    problems: list[Msg] = field(default_factory=list)
    matched: list[tuple[str, str]] = field(default_factory=list)  # typed, read as: to confirm
    member_id: int | None = None  # an existing person the user may open
    holder: str = ""  # else the union holding their membership: all an outsider may learn


@dataclass
class Preview:
    rows: list[PreviewRow]
    new: list[tuple[domain.EnrollmentInput, object, str, int]]  # input, checked ID, phone, fed

    def count(self, outcome: str) -> int:
        return sum(row.outcome == outcome for row in self.rows)


@dataclass
class ImportResult:
    created: int
    existing: int
    skipped: int


# --- reading the file ------------------------------------------------------------------


def _label(text: str) -> str:
    """A header cell as compared: full-width folded, no spaces, markers or case."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s*:：()（）]", "", text)


@functools.cache
def _field_labels() -> dict[str, str]:
    """Header label -> field: the aliases and each field's title in every language,
    so a roster exported by this app is recognised in either language."""
    labels = {}
    for name, spec in FIELDS.items():
        titles = [translations(locale).gettext(spec.title.text) for locale in LOCALES]
        for text in (*spec.aliases, spec.title.text, *titles):
            labels.setdefault(_label(text), name)
    return labels


def _find_header(rows: list[list[str]]) -> int | None:
    """The first row naming at least two fields, among the first rows."""
    labels = _field_labels()
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if len({labels[label] for label in map(_label, row) if label in labels}) >= 2:
            return index
    return None


async def read_upload(data: bytes) -> Sheet:
    """`read_roster` in a worker thread."""
    return await _in_worker(read_roster, data)


def read_roster(data: bytes) -> Sheet:
    """The header and rows of an uploaded roster; ValidationError when it cannot be used."""
    if not data.strip():
        raise ValidationError({"file": Msg("The file is empty.")})
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": TOO_LARGE})
    rows = file_rows(data)
    start = _find_header(rows)
    if start is None:
        raise ValidationError(
            {
                "file": Msg(
                    "No header row found. One of the first rows must name the columns, "
                    "such as 姓名, 身份证号, 手机号, 村, 合作社."
                )
            }
        )
    header = [cell.strip() for cell in rows[start]]
    body = [
        (line, cells)
        for line, cells in enumerate(rows[start + 1 :], start=start + 2)
        if any(cell.strip() for cell in cells)
    ]
    if not body:
        raise ValidationError({"file": Msg("The file has a header row but no members under it.")})
    if len(body) > MAX_ROWS:
        raise too_many_rows()
    for line, cells in [(start + 1, rows[start]), *body]:
        if any(len(cell) > MAX_CELL_CHARS for cell in cells):
            raise cell_too_long(line)
    return Sheet(header, body)


# --- columns --------------------------------------------------------------------------


@dataclass(frozen=True)
class Defaults:
    """The place for rows whose file names none (a roster kept per cooperative)."""

    cooperative_id: int | None = None
    village_id: int | None = None


def guess_mapping(header: list[str]) -> dict[str, int]:
    """Field -> column index, from the header's names."""
    labels = _field_labels()
    mapping: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = labels.get(_label(cell))
        if name and name not in mapping:
            mapping[name] = index
    return mapping


def check_mapping(header: list[str], mapping: dict[str, int], defaults: Defaults) -> None:
    errors: dict[str, Msg] = {}
    seen: dict[int, str] = {}
    for name, index in mapping.items():
        if not 0 <= index < len(header):
            errors[name] = Msg("Choose a column from the list.")
        elif index in seen:
            errors[name] = Msg(
                "Column “{column}” is already chosen for another field.", column=header[index]
            )
        else:
            seen[index] = name
    given = {"cooperative": defaults.cooperative_id, "village": defaults.village_id}
    for name, spec in FIELDS.items():
        if spec.required and name not in mapping and not given.get(name) and name not in errors:
            errors[name] = Msg("Choose the column that holds this.")
    if errors:
        raise ValidationError(errors)


# --- checking the rows ----------------------------------------------------------------


def _place_label(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).lower()
    return re.sub(r"[\s\"'“”‘’「」『』]", "", text).removesuffix("村")


# The fields given by a fixed list: the list, and what a cell may add to a name (汉族 for 汉).
CHOICES = {
    "ethnicity": (ETHNICITIES, "族"),
    "worker_post": (POSTS, ""),
}


@functools.cache
def _choice_labels(field_name: str) -> dict[str, str]:
    """Label -> stored key, for a fixed list, from its names in every language."""
    names, suffix = CHOICES[field_name]
    labels = {}
    for key, message in names.items():
        for locale in LOCALES:
            text = translations(locale).gettext(message.text)
            labels[_label(text).removesuffix(suffix)] = key
        labels[_label(key)] = key
    return labels


@dataclass
class _Places:
    cooperatives: dict[str, dict]  # label -> cooperative in scope
    cooperative_ids: dict[int, dict]
    villages: dict[tuple[int, str], dict]  # (town, label) -> village in scope
    village_ids: dict[int, dict]
    towns: dict[int, int]  # federation -> its town

    @classmethod
    async def of(cls, viewer: Viewer) -> _Places:
        found = await orgs.places(viewer.scope, viewer.generation)
        cooperatives, villages = found["cooperatives"], found["villages"]
        federations = list({c["federation"] for c in cooperatives}) or [-1]
        parents = await Union.select(Union.id, Union.parent).where(Union.id.is_in(federations))
        return cls(
            {_place_label(c["name"]): c for c in cooperatives},
            {c["id"]: c for c in cooperatives},
            {(v["town"], _place_label(v["name"])): v for v in villages},
            {v["id"]: v for v in villages},
            {row["id"]: row["parent"] for row in parents},
        )


class _RowChecker:
    def __init__(self, mapping: dict[str, int], defaults: Defaults, places: _Places):
        self.mapping = mapping
        self.defaults = defaults
        self.places = places
        self.seen: dict[str, int] = {}

    def check(self, line: int, cells: list[str]):
        """A PreviewRow, and for a usable row the enrollment input it makes."""

        def cell(name: str) -> str:
            index = self.mapping.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        errors: dict[str, Msg] = {}
        name = clean_text(errors, "name", cell("name"), max_length=domain.NAME_MAX)
        raw_id = cell("resident_id")
        checked = None
        if SCIENTIFIC.match(normalise_digits(raw_id)):
            errors["resident_id"] = Msg(
                "The spreadsheet stored this ID number as a number and lost its last digits. "
                "Format the column as text and type the numbers again."
            )
        else:
            checked = check_resident_id(raw_id)
            if checked.error:
                errors["resident_id"] = checked.error
            elif checked.number in self.seen:
                errors["resident_id"] = Msg(
                    "The same ID number as line {line}.", line=self.seen[checked.number]
                )
            else:
                self.seen[checked.number] = line
        phone, phone_error = check_mobile(cell("phone"))
        if phone_error:
            errors["phone"] = phone_error
        matched: list[tuple[str, str]] = []
        cooperative = self._cooperative(errors, cell("cooperative"), matched)
        village = self._village(errors, cell("village"), cooperative)
        backbone = _label(cell("backbone"))
        if backbone not in YES | NO:
            errors["backbone"] = Msg("Write 是 or 否.")
        profile = {}
        for field_name, (_, suffix) in CHOICES.items():
            text = cell(field_name)
            key = _choice_labels(field_name).get(_label(text).removesuffix(suffix))
            if text and key is None:
                errors[field_name] = Msg("“{value}” is not one of the choices.", value=text)
            profile[field_name] = key or ""
        for field_name in CODED:  # as its code or any of its names ("20", "大学本科", "本科")
            profile[field_name] = coded(errors, field_name, cell(field_name))
        for field_name in ("hukou_region", "residence_region"):
            profile[field_name] = region(errors, field_name, cell(field_name))
        for field_name, most in (
            ("residence_address", domain.RESIDENCE_ADDRESS_MAX),
            ("employer", domain.EMPLOYER_MAX),
        ):
            profile[field_name] = clean_text(
                errors, field_name, cell(field_name), max_length=most, required=False
            )
        migrant = MIGRANT_WORKER.lookup(cell("migrant_worker")) if cell("migrant_worker") else "0"
        if migrant is None:
            errors["migrant_worker"] = Msg("Write 是 or 否.")
        profile["migrant_worker"] = migrant == "1"
        row = PreviewRow(
            line=line,
            outcome="error" if errors else "new",
            name=name,
            id_masked=privacy.mask_id(checked.number) if checked and not checked.error else "",
            village=village["name"] if village else cell("village"),
            cooperative=cooperative["name"] if cooperative else cell("cooperative"),
            problems=[(FIELDS[k].title, message) for k, message in errors.items()],
            matched=matched,
        )
        number = checked.number if "resident_id" not in errors else None
        if errors:
            return row, number, None
        data = domain.EnrollmentInput(
            name=name,
            resident_id=checked.number,
            phone=phone,
            cooperative_id=cooperative["id"],
            village_id=village["id"],
            is_backbone=backbone in YES,
            **profile,
        )
        return row, number, (data, checked, phone, cooperative["federation"])

    def _cooperative(
        self, errors: dict[str, Msg], text: str, matched: list[tuple[str, str]]
    ) -> dict | None:
        if not text:
            found = self.places.cooperative_ids.get(self.defaults.cooperative_id or 0)
        else:
            label = _place_label(text)
            found = self.places.cooperatives.get(label)
            if found is None and label:  # the village left off, or a short name
                candidates = [c for k, c in self.places.cooperatives.items() if label in k]
                if len(candidates) == 1:
                    found = candidates[0]
                    matched.append((text, found["name"]))
                elif candidates:
                    names = "、".join(sorted(c["name"] for c in candidates))
                    errors["cooperative"] = Msg(
                        "“{value}” matches several cooperatives: {names}. Write the full name.",
                        value=text,
                        names=names,
                    )
                    return None
        if found is None:
            errors["cooperative"] = (
                Msg("No cooperative of that name among yours.")
                if text
                else Msg("This field is required.")
            )
        return found

    def _village(self, errors: dict[str, Msg], text: str, cooperative: dict | None) -> dict | None:
        if not text:
            found = self.places.village_ids.get(self.defaults.village_id or 0)
        else:
            town = self.places.towns.get(cooperative["federation"]) if cooperative else None
            found = self.places.villages.get((town, _place_label(text)))
        if found is None:
            errors["village"] = (
                Msg("No village of that name in the cooperative's town.")
                if text
                else Msg("This field is required.")
            )
        elif cooperative and found["town"] != self.places.towns.get(cooperative["federation"]):
            errors["village"] = Msg("Choose a village in the cooperative's town.")
            found = None
        return found


async def preview(
    viewer: Viewer, sheet: Sheet, mapping: dict[str, int], defaults: Defaults
) -> Preview:
    """What importing `sheet` would do, row by row; nothing is written."""
    require(viewer, MANAGERS)
    check_mapping(sheet.header, mapping, defaults)
    checker = _RowChecker(mapping, defaults, await _Places.of(viewer))
    rows, usable, numbers = await _in_worker(_check_rows, checker, sheet)
    await _mark_existing(viewer, numbers, usable)
    return Preview(rows, list(usable.values()))


def _check_rows(checker: _RowChecker, sheet: Sheet) -> tuple[list, dict, dict]:
    rows, usable, numbers = [], {}, {}
    for line, cells in sheet.rows:
        row, number, made = checker.check(line, cells)
        rows.append(row)
        if number:
            numbers[privacy.keyed_hash("resident_id", number)] = row
        if made:
            usable[line] = made
    return rows, usable, numbers


async def _mark_existing(viewer: Viewer, rows: dict[str, PreviewRow], usable: dict) -> None:
    """Rows whose person is already registered: a link in scope, else the holding union."""
    hashes = list(rows)
    for start in range(0, len(hashes), 500):
        found, visible = await queries.registered(viewer.scope, hashes[start : start + 500])
        for member in found:
            row = rows[member["id_hash"]]
            row.outcome, row.problems = "existing", []
            if member["id"] in visible:
                row.member_id = member["id"]
            else:
                row.holder = member["union_name"]
            usable.pop(row.line, None)


# --- writing --------------------------------------------------------------------------


async def commit(
    viewer: Viewer,
    sheet: Sheet,
    mapping: dict[str, int],
    defaults: Defaults,
    *,
    skip_errors: bool,
    expected_new: int | None,
    filename: str,
    upload_token: str | None = None,
) -> ImportResult:
    """Write every new person of the preview as an applicant, in one transaction: all or none.

    Rows are checked again inside the transaction; if the outcome is not the one
    previewed (`expected_new` new people) nothing is written.
    """
    async with db.transaction():
        found = await preview(viewer, sheet, mapping, defaults)
        errors = found.count("error")
        if errors and not skip_errors:
            raise ValidationError(
                {
                    "confirm": Msg(
                        "{count} rows have errors. Fix the file, or choose to import only "
                        "the rows without errors.",
                        count=errors,
                    )
                }
            )
        if expected_new is not None and len(found.new) != expected_new:
            raise ValidationError(
                {
                    "confirm": Msg(
                        "The rows changed since the preview: someone registered some of these "
                        "people meanwhile. Check the preview again."
                    )
                }
            )
        if not found.new:
            raise ValidationError({"confirm": Msg("There is nobody new to import.")})
        await _write(viewer, found.new)
        result = ImportResult(len(found.new), found.count("existing"), errors)
        await audit.record(
            viewer.actor,
            "import",
            "member",
            "",
            f"file={filename[:200]} created={result.created} existing={result.existing} "
            f"skipped={result.skipped}",
        )
        if upload_token:
            await RosterUpload.delete().where(RosterUpload.token == upload_token).run()
    await db.analyze()
    return result


async def _write(viewer: Viewer, new: list) -> None:
    await domain.write_new_members(await _in_worker(_applicants, new, now()), actor_id(viewer))


def _applicants(new: list, at: dt.datetime) -> list[domain.NewMember]:
    return [
        domain.applicant(
            data,
            checked.number,
            phone,
            domain.applicant_values(data, checked, phone, federation),
            at=at,
            detail="import",
        )
        for data, checked, phone, federation in new
    ]


# --- the upload between preview and import ----------------------------------------------


async def save_upload(viewer: Viewer, filename: str, sheet: Sheet) -> str:
    """Keep the rows for the preview; the token to find them again (this user only)."""
    require(viewer, MANAGERS)
    token = secrets.token_urlsafe(32)
    content = await _in_worker(_sealed, sheet)
    await RosterUpload.insert(
        RosterUpload(token=token, user=viewer.id, filename=filename[:200], content=content)
    ).run()
    return token


async def forget_old_uploads(at: dt.datetime) -> None:
    """Rows waiting for an import that never came: gone a day after the upload
    (housekeeping runs this; they hold ID numbers, encrypted)."""
    await RosterUpload.delete().where(RosterUpload.created_at < at - KEEP_FOR).run()


async def load_upload(viewer: Viewer, token: str) -> tuple[str, Sheet]:
    require(viewer, MANAGERS)
    row = await queries.roster_upload(viewer, token[:43], dt.datetime.now(dt.UTC) - KEEP_FOR)
    if row is None:
        raise NotFound
    return row["filename"], await _in_worker(_unsealed, row["content"])


def _sealed(sheet: Sheet) -> str:
    return privacy.encrypt(json.dumps({"header": sheet.header, "rows": sheet.rows}))


def _unsealed(content: str) -> Sheet:
    found = json.loads(privacy.decrypt(content))
    return Sheet(found["header"], [tuple(r) for r in found["rows"]])


async def drop_upload(viewer: Viewer, token: str) -> None:
    require(viewer, MANAGERS)
    async with db.transaction():
        await (
            RosterUpload.delete()
            .where((RosterUpload.token == token[:43]) & (RosterUpload.user == viewer.id))
            .run()
        )
