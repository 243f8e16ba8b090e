"""`coop demo` members: the default fictional members, and `--members N` for benchmarks.

Subprocesses on SQLite data folders, like test_commands.py.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from coop import db, privacy
from coop.accounts.domain import command_line_viewer
from coop.members import domain as members
from coop.members.identity import check_resident_id, name_keys
from coop.settings import Settings
from tests.cli.test_commands import coop, query

RESIDENT_ID = re.compile(r"\b\d{17}[\dX]\b")


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    """A data folder after one `coop demo`; tests that change it work on copies."""
    folder = tmp_path_factory.mktemp("demo-members") / "data"
    result = coop(folder, "demo")
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert "240 demo members added" in result.stdout
    return folder


@pytest.fixture
def demo_copy(demo_folder, tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(demo_folder, folder)
    return folder


def count(database: Path, where: str = "1") -> int:
    return query(database, f"SELECT count(*) FROM member WHERE {where}")[0][0]


def test_default_demo_has_first_batch_backbone_and_a_mix_of_members(demo_folder):
    database = demo_folder / "coop.sqlite3"
    statuses = dict(query(database, "SELECT status, count(*) FROM member GROUP BY status"))
    total = sum(statuses.values())

    assert total >= 240
    assert count(database, "first_batch AND is_backbone AND status = 'member'") >= 30
    assert 15 <= statuses["applicant"] <= 25
    assert statuses["member"] >= 200
    assert statuses.get("left", 0) + statuses.get("transferred_out", 0) >= 3
    assert statuses["retained"] == 3
    transfers = dict(query(database, "SELECT status, count(*) FROM member_transfer GROUP BY 1"))
    assert transfers == {"accepted": 1, "pending": 1}
    assert 0.5 * total <= count(database, "welcome_pack_at IS NOT NULL") <= 0.7 * total
    assert 0.3 * total <= count(database, "worker_post != ''") <= 0.5 * total
    assert (
        query(
            database,
            "SELECT count(*) FROM (SELECT member FROM worker_post GROUP BY member "
            "HAVING count(*) = 2)",
        )[0][0]
        > 0
    )
    assert count(database, "NOT is_backbone AND recruited_by IS NOT NULL") > 0.7 * total
    # every recruiter is a backbone member of the recruit's cooperative
    assert not query(
        database,
        "SELECT m.id FROM member m JOIN member r ON r.id = m.recruited_by "
        "WHERE NOT r.is_backbone OR r.cooperative != m.cooperative",
    )
    cards = dict(query(database, "SELECT card_prefix, last_card_number FROM enrollment_policy"))
    assert cards.keys() == {"JJH", "JSGS"}
    # a member transferred between federations holds the second card; the first is history
    moved = query(database, "SELECT count(*) FROM membership_change WHERE from_union IS NOT NULL")
    assert sum(cards.values()) == count(database, "card_number IS NOT NULL") + moved[0][0]
    assert count(database, "first_batch AND card_number LIKE 'JJH%'") >= 30
    assert count(database, "cooperative = (SELECT id FROM cooperative WHERE name LIKE '桂花村%')")


def test_demo_member_numbers_are_well_formed_fictional_and_never_stored_in_clear(demo_folder):
    database = demo_folder / "coop.sqlite3"
    connection = sqlite3.connect(database)
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    raw = b"".join(p.read_bytes() for p in demo_folder.iterdir() if p.is_file())

    assert "member_search_key" in dump
    assert RESIDENT_ID.findall(dump) == []
    assert re.findall(rb"\b\d{17}[\dX]\b", raw) == []

    privacy.configure(Settings(data_dir=demo_folder).secrets())
    rows = query(database, "SELECT name, sex, id_encrypted, phone_encrypted FROM member")
    for name, sex, id_encrypted, phone_encrypted in rows:
        checked = check_resident_id(privacy.decrypt(id_encrypted))
        assert checked.error is None and checked.sex == sex, name
        assert checked.number[:6] in {"500113", "500112", "500107"}
        assert 1955 <= checked.birth_date.year <= 2004
        assert privacy.decrypt(phone_encrypted).startswith("1990000")
    assert len({row[0][0] for row in rows} & {"单", "曾", "解"}) >= 2


def test_second_demo_run_adds_no_members(demo_copy):
    database = demo_copy / "coop.sqlite3"
    before = [count(database), query(database, "SELECT count(*) FROM member_event")[0][0]]

    result = coop(demo_copy, "demo")

    assert result.returncode == 0, result.stderr
    assert "Demo members already present." in result.stdout
    assert [count(database), query(database, "SELECT count(*) FROM member_event")[0][0]] == before


async def test_members_option_adds_exactly_n_with_cards_and_search_keys(demo_copy):
    database = demo_copy / "coop.sqlite3"
    before = count(database)
    last_id = query(database, "SELECT max(id) FROM member")[0][0]

    result = coop(demo_copy, "demo", "--members", "2000")

    assert result.returncode == 0, result.stderr
    assert "Added 2,000 members in" in result.stdout
    assert count(database) == before + 2000
    new = f"id > {last_id}"
    cards = [row[0] for row in query(database, f"SELECT card_number FROM member WHERE {new}")]
    numbered = [card for card in cards if card]
    assert len(numbered) == len(set(numbered)) >= 1900
    assert count(database, f"{new} AND status = 'applicant'") == len(cards) - len(numbered)
    # later approvals continue after the generated cards
    for prefix, last in query(
        database, "SELECT card_prefix, last_card_number FROM enrollment_policy"
    ):
        [[top]] = query(
            database, "SELECT max(card_number) FROM member WHERE card_number LIKE ?", f"{prefix}%"
        )
        assert top == f"{prefix}{last:06d}"
    assert not query(
        database,
        f"SELECT id FROM member WHERE {new} AND id NOT IN (SELECT member FROM member_search_key)",
    )

    # the domain finds a generated member by name, pinyin initials and number tails
    settings = Settings(data_dir=demo_copy, db_pool=False)
    db.bind(db.engine_for(settings))
    privacy.configure(settings.secrets())
    viewer = command_line_viewer()
    [[member_id, name, phone_encrypted]] = query(
        database, f"SELECT id, name, phone_encrypted FROM member WHERE {new} LIMIT 1 OFFSET 777"
    )
    stored = {
        key
        for [key] in query(
            database, "SELECT key FROM member_search_key WHERE member = ?", member_id
        )
    }
    assert name_keys(name) <= stored
    assert privacy.decrypt(phone_encrypted)[-4:] in stored
    initials = min((k for k in name_keys(name) if k.isascii()), key=len)
    for term in (initials, privacy.decrypt(phone_encrypted)[-4:]):
        found = await members.search(viewer, members.MemberFilter(q=term))
        page = 1
        while member_id not in {row["id"] for row in found.rows} and found.has_next:
            page += 1
            found = await members.search(viewer, members.MemberFilter(q=term, page=page))
        assert member_id in {row["id"] for row in found.rows}, term

    # a second run adds as many again, without a collision
    again = coop(demo_copy, "demo", "--members", "500")
    assert again.returncode == 0, again.stderr
    assert count(database) == before + 2500
