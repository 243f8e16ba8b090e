"""The XLSX roster opened by independent readers: python-calamine and LibreOffice headless.

Both must show every ID number with all 18 characters (a trailing X included),
phone and card numbers digit for digit, and the Chinese names intact. LibreOffice
is Debian's `libreoffice-calc-nogui` (`.ci/run` installs it); without it that test
is skipped with a one-line reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from coop.members import domain as members
from coop.members.identity import make_resident_id
from tests.factories import csrf_token, make_member, sign_in

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# The names are fictional; one has a character outside the Basic Multilingual Plane.
NAMES = ["张三", "欧阳娜娜", "李𬌗", "蔡黑豆"]
HEADER = ["序号", "姓名", "性别", "出生日期", "民族", "身份证号", "手机号"]


def _ids_ending_in(check: str, count: int) -> list[str]:
    """Fictional, well-formed ID numbers whose check character is `check`."""
    birth = dt.date(1990, 7, 1)
    found = (make_resident_id("500113", birth, n) for n in range(1000))
    return [number for number in found if number.endswith(check)][:count]


@pytest.fixture
async def roster(client, world, tmp_path) -> tuple[Path, list[dict]]:
    """An approved roster of four, exported as XLSX with full numbers; the file and the people."""
    tree, who = world
    numbers = _ids_ending_in("X", 2) + _ids_ending_in("0", 1) + _ids_ending_in("7", 1)
    people = []
    for n, (name, number) in enumerate(zip(NAMES, numbers, strict=True)):
        phone = f"1990000{n:04d}"  # the unused range the demo data uses
        member_id = await make_member(
            who["village"], tree, name, backbone=True, id_number=number, phone=phone
        )
        people.append(dict(id=member_id, name=name, resident_id=number, phone=phone))
    approval = await members.approve(who["federation"], [p["id"] for p in people])
    assert approval.approved == [p["id"] for p in people]  # the first batch: backbone members
    for person in people:
        person["card"] = (await members.get_member(who["federation"], person["id"]))["card_number"]
        assert person["card"]
    await sign_in(client, "federation")
    page = await client.get("/members/export")
    answer = await client.post(
        "/members/export",
        data={
            "format": "xlsx",
            "full_numbers": "1",
            "confirm": "1",
            "_csrf_token": csrf_token(page),
        },
    )
    assert answer.status_code == 200, answer.text[:300]
    path = tmp_path / "roster.xlsx"
    path.write_bytes(answer.content)
    return path, people


def _check(rows: list[list[str]], people: list[dict]) -> None:
    """The rows a reader gives back hold each person's numbers and name exactly."""
    assert rows[0][: len(HEADER)] == HEADER
    header = rows[0]
    id_at, phone_at, card_at = (header.index(h) for h in ("身份证号", "手机号", "会员卡号"))
    found = {row[1]: row for row in rows[1:] if any(row)}
    assert sorted(found) == sorted(p["name"] for p in people)
    for person in people:
        row = found[person["name"]]
        # Compare without echoing the numbers: a mismatch says which column and length.
        for column, at, expected in (
            ("ID", id_at, person["resident_id"]),
            ("phone", phone_at, person["phone"]),
            ("card", card_at, person["card"]),
        ):
            same, length = row[at] == expected, len(row[at])
            assert same, f"{column} of {person['name']} differs ({length} characters)"
    assert any(row[id_at].endswith("X") for row in found.values())


def test_python_calamine_reads_every_character(roster):
    path, people = roster
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    rows = sheet.to_python()
    # Text cells come back as str; a number cell would come back as a float and fail here.
    _check(
        [[cell if isinstance(cell, str) else repr(cell) for cell in row] for row in rows], people
    )


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
)
def test_libreoffice_converts_it_to_csv_with_every_character(roster, tmp_path):
    path, people = roster
    out = tmp_path / "converted"
    profile = tmp_path / "lo-profile"  # its own profile: no clash with another soffice
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            # The shell's csv:"Text - txt - csv (StarCalc)":44,34,76 (comma, double quote, UTF-8)
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = out / "roster.csv"
    assert done.returncode == 0 and converted.exists(), done.stdout + done.stderr
    with converted.open(encoding="utf-8", newline="") as text:
        rows = list(csv.reader(text))
    _check(rows, people)
