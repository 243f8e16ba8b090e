"""Export profiles (上报模板): a higher union's Excel template as data. One TOML file per
profile in COOP_DATA_DIR/export-profiles/, checked when read: a bad file is refused with its
line and reason, and the others still load. The built-in "实名制采集（通用）" writes every
field of the real-name record in code form.

A profile names roster columns (`exports.COLUMNS` keys, given to it as `known`), each with
its header label and, for a code column, an optional code map (our code -> theirs)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DATE_FORMATS = ("YYYY-MM-DD", "YYYYMMDD")
BUILTIN_NAME = "实名制采集（通用）"


@dataclass(frozen=True)
class ProfileColumn:
    field: str
    header: str
    codes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    name: str
    columns: tuple[ProfileColumn, ...]
    sheet: str = "会员信息"
    title_rows: tuple[str, ...] = ()
    date_format: str = "YYYY-MM-DD"


class ProfileError(Exception):
    """A profile file that cannot be used: where and why."""

    def __init__(self, path: str, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


BUILTIN = Profile(
    BUILTIN_NAME,
    tuple(
        ProfileColumn(key, header)
        for key, header in (
            ("name", "姓名"),
            ("sex_code", "性别"),
            ("ethnicity", "民族"),
            ("birth_date", "出生日期"),
            ("resident_id", "公民身份号码"),
            ("phone", "手机号码"),
            ("education_code", "学历"),
            ("political_status_code", "政治面貌"),
            ("employment_status_code", "就业状况"),
            ("skill_level_code", "技术等级"),
            ("migrant_worker_code", "是否农民工"),
            ("hukou_region", "户籍所在地"),
            ("residence_region", "现居住地代码"),
            ("residence_address", "现居住地"),
            ("employer", "工作单位"),
            ("village", "村"),
            ("cooperative", "合作社"),
            ("join_date", "入会时间"),
            ("card_number", "会员证号"),
        )
    ),
    sheet="会员实名制采集",
    title_rows=("工会会员实名制信息采集表",),
)


def _line_of(text: str, needle: str) -> int:
    """The first line of the file holding `needle` (1 when none does)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def parse(text: str, path: str, known: dict[str, tuple[str, ...] | None]) -> Profile:
    """A profile from its TOML text. `known`: the column keys a profile may name, each with
    the codes its code map may use (None: no code map)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        raise ProfileError(path, int(found.group(1)) if found else 1, str(error)) from None

    def fail(needle: str, reason: str):
        raise ProfileError(path, _line_of(text, needle), reason)

    for key in data:
        if key not in ("name", "sheet", "title_rows", "date_format", "columns"):
            fail(key, f"unknown setting {key!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        fail("name", "name is required: the profile's name as the export page lists it")
    date_format = data.get("date_format", "YYYY-MM-DD")
    if date_format not in DATE_FORMATS:
        fail("date_format", f"date_format must be one of {', '.join(DATE_FORMATS)}")
    titles = data.get("title_rows", [])
    if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
        fail("title_rows", "title_rows must be a list of texts")
    sheet = data.get("sheet", "会员信息")
    if not isinstance(sheet, str) or not 0 < len(sheet) <= 31 or re.search(r"[][:*?/\\]", sheet):
        fail("sheet", "sheet must be 1 to 31 characters, none of [ ] : * ? / \\")
    columns, seen_fields, seen_headers = [], set(), set()
    entries = data.get("columns")
    if not isinstance(entries, list) or not entries:
        fail("columns", "at least one [[columns]] is required")
    for entry in entries:
        key, header = entry.get("field"), entry.get("header")
        if key not in known:
            fail(f'"{key}"', f"unknown field {key!r}; known: {', '.join(known)}")
        if not isinstance(header, str) or not header.strip():
            fail(f'"{key}"', f"column {key!r} needs a header")
        if key in seen_fields or header in seen_headers:
            fail(
                f'"{header}"' if header in seen_headers else f'"{key}"',
                f"duplicate column {header!r}",
            )
        seen_fields.add(key)
        seen_headers.add(header)
        codes = entry.get("codes", {})
        allowed = known[key]
        if codes:
            if allowed is None:
                fail(f'"{key}"', f"column {key!r} holds no codes: it cannot have a code map")
            if not isinstance(codes, dict) or not all(isinstance(v, str) for v in codes.values()):
                fail(f'"{key}"', f"the code map of {key!r} must map codes to texts")
            unknown = [c for c in codes if c not in allowed]
            if unknown:
                fail(
                    f'"{unknown[0]}"',
                    f"the code map of {key!r} names {unknown[0]!r}, "
                    f"not one of {', '.join(allowed)}",
                )
            if len(set(codes.values())) != len(codes):
                fail(f'"{key}"', f"the code map of {key!r} gives two codes the same value")
        columns.append(ProfileColumn(key, header.strip(), dict(codes)))
    return Profile(name.strip(), tuple(columns), sheet, tuple(titles), date_format)


def load(folder: Path, known: dict) -> tuple[dict[str, Profile], list[ProfileError]]:
    """Every profile: the built-in one and each good file in `folder` (by name), and the
    errors of the files refused."""
    profiles, errors = {BUILTIN.name: BUILTIN}, []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            profile = parse(path.read_text(encoding="utf-8"), str(path), known)
        except (ProfileError, UnicodeDecodeError) as error:
            errors.append(
                error if isinstance(error, ProfileError) else ProfileError(str(path), 1, str(error))
            )
            continue
        profiles[profile.name] = profile
    return profiles, errors


def find(name_or_file: str, folder: Path, known: dict) -> Profile:
    """The profile of that name, or read from that file; ProfileError if neither."""
    path = Path(name_or_file)
    if path.suffix == ".toml" and path.is_file():
        return parse(path.read_text(encoding="utf-8"), str(path), known)
    profiles, errors = load(folder, known)
    if name_or_file in profiles:
        return profiles[name_or_file]
    refused = "".join(f"; refused {e}" for e in errors)
    raise ProfileError(name_or_file, 0, f"no profile named {name_or_file!r}{refused}")
