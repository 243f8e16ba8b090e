"""The `coop` command as an operator runs it: a subprocess on a SQLite data folder.

These tests always use SQLite in temporary folders (backup and restore are
SQLite's), even when COOP_TEST_POSTGRES_URL is set for the rest of the suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from coop import db, demo

DEMO_TABLES = ["trade_union", "village", "cooperative", "app_user", "user_scope"]
PASSWORD = "s3cret-Passw0rd-for-cli"


def coop(data_dir: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    """Run `coop ARGS` with COOP_DATA_DIR=data_dir on SQLite."""
    env = dict(os.environ, COOP_DATA_DIR=str(data_dir), PYTHONIOENCODING="utf-8")
    env.pop("COOP_DATABASE_URL", None)
    env.pop("COOP_PASSWORD", None)
    if password is not None:
        env["COOP_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "coop.cli", *args],
        env=env,
        cwd=data_dir.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def query(path: Path, sql: str, *params) -> list[tuple]:
    connection = sqlite3.connect(path, timeout=10)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def row_counts(path: Path) -> dict[str, int]:
    return {table: query(path, f'SELECT count(*) FROM "{table}"')[0][0] for table in DEMO_TABLES}


def folder_fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    """A data folder after one `coop demo`; tests work on copies of it."""
    folder = tmp_path_factory.mktemp("demo-template") / "data"
    result = coop(folder, "demo")
    assert (result.returncode, result.stderr) == (0, "")
    return folder


@pytest.fixture
def demo_dir(demo_template, tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(demo_template, folder)
    return folder


# 1. demo


def test_demo_run_a_second_time_leaves_row_counts_unchanged(demo_template, demo_dir):
    first = row_counts(demo_template / "coop.sqlite3")

    result = coop(demo_dir, "demo")

    assert result.returncode == 0, result.stderr
    assert row_counts(demo_dir / "coop.sqlite3") == first
    assert first["app_user"] == len(demo.LOGINS) + len(demo.EXTRA_JUDGES)


# 2. user create


def test_user_create_with_cooperative_scope_creates_user_and_scope_without_printing_password(
    demo_dir,
):
    database = demo_dir / "coop.sqlite3"
    cooperative_id, cooperative_name = query(
        database, "SELECT id, name FROM cooperative ORDER BY id DESC LIMIT 1"
    )[0]

    result = coop(
        demo_dir,
        "user", "create", "--username", "field-worker", "--name", "Field Worker",
        "--role", "village_organizer", "--scope", f"cooperative={cooperative_name}",
        password=PASSWORD,
    )  # fmt: skip

    assert (result.returncode, result.stderr) == (0, "")
    [(user_id, display_name, role, password_hash)] = query(
        database,
        "SELECT id, display_name, role, password_hash FROM app_user WHERE username = ?",
        "field-worker",
    )
    assert result.stdout == f"User field-worker created (id {user_id}).\n"
    assert (display_name, role) == ("Field Worker", "village_organizer")
    assert query(
        database,
        "SELECT federation, cooperative, village FROM user_scope WHERE user = ?",
        user_id,
    ) == [(None, cooperative_id, None)]
    assert PasswordHasher().verify(password_hash, PASSWORD) is True
    assert (PASSWORD in result.stdout, PASSWORD in result.stderr) == (False, False)


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (
            ["--role", "boss", "--scope", "cooperative=1"],
            2,
            "argument --role: invalid choice: 'boss'",
        ),
        (
            ["--role", "village_organizer", "--scope", "cooperative=No Such Cooperative"],
            1,
            "No cooperative 'No Such Cooperative'.",
        ),
        (
            ["--role", "village_organizer", "--scope", "cooperative=999"],
            1,
            "No cooperative '999'.",
        ),
        (
            ["--role", "village_organizer", "--scope", "town=1"],
            1,
            "--scope takes federation=…, cooperative=… or village=…, not 'town=1'",
        ),
    ],
    ids=["unknown-role", "unknown-cooperative-name", "unknown-cooperative-number", "bad-kind"],
)
def test_user_create_with_bad_role_or_scope_exits_nonzero_with_message_and_creates_nobody(
    demo_dir, args, exit_code, message
):
    database = demo_dir / "coop.sqlite3"
    before = row_counts(database)

    result = coop(demo_dir, "user", "create", "--username", "newcomer", *args, password=PASSWORD)

    assert result.returncode == exit_code
    last_line = result.stderr.strip().splitlines()[-1]
    if exit_code == 2:  # argparse's wording of the rest varies between Python versions
        last_line = last_line.split(" (choose from")[0].removeprefix("coop user create: error: ")
    assert last_line == message
    assert "Traceback" not in result.stderr
    assert row_counts(database) == before
    assert (PASSWORD in result.stdout, PASSWORD in result.stderr) == (False, False)


# 3. backup and restore


def test_backup_taken_while_a_writer_commits_restores_every_row_committed_before_it_started(
    demo_dir, tmp_path
):
    database = demo_dir / "coop.sqlite3"
    demo_ids = [row[0] for row in query(database, "SELECT id FROM audit_entry ORDER BY id")]
    assert query(database, "PRAGMA journal_mode") == [("wal",)]

    committed: list[int] = []  # ids whose transaction has committed, in order
    lock = threading.Lock()  # held across insert + commit + record, so snapshots are exact
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        connection = sqlite3.connect(database, timeout=10, isolation_level=None)
        try:
            while not stop.is_set() and len(committed) < 3000:
                with lock:
                    connection.execute("BEGIN IMMEDIATE")
                    cursor = connection.execute(
                        "INSERT INTO audit_entry (actor_name, action, record_type, detail)"
                        " VALUES ('load test', 'load', 'test', ?)",
                        (f"row {len(committed)}",),
                    )
                    connection.execute("COMMIT")
                    committed.append(cursor.lastrowid)
                time.sleep(0.002)
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while len(committed) < 20 and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        with lock:
            committed_before_start = len(committed)
        out = tmp_path / "coop-backup.zip"
        backup = coop(demo_dir, "backup", "--out", str(out))
        with lock:
            committed_before_end = len(committed)
    finally:
        stop.set()
        writer.join(timeout=10)

    assert errors == []
    assert (backup.returncode, backup.stderr) == (0, "")
    assert backup.stdout == f"Backup written to {out}.\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert committed_before_start >= 20
    assert committed_before_end > committed_before_start  # the writer ran during the backup

    restored_dir = tmp_path / "restored"
    restore = coop(restored_dir, "restore", str(out))

    assert (restore.returncode, restore.stderr) == (0, "")
    restored = restored_dir / "coop.sqlite3"
    assert query(restored, "PRAGMA integrity_check") == [("ok",)]
    ids = [row[0] for row in query(restored, "SELECT id FROM audit_entry ORDER BY id")]
    load_ids = [
        row[0] for row in query(restored, "SELECT id FROM audit_entry WHERE action = 'load'")
    ]
    assert ids == demo_ids + load_ids
    # A snapshot: the first N committed rows, none missing in between, none half-written.
    assert load_ids == committed[: len(load_ids)]
    assert committed_before_start <= len(load_ids) <= committed_before_end
    assert (restored_dir / "secrets.json").read_bytes() == (demo_dir / "secrets.json").read_bytes()
    assert row_counts(restored) == row_counts(database)


def _not_a_zip(path: Path) -> None:
    path.write_text("these are my holiday notes\n")


def _zip_without_database(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")


def _zip_with_damaged_database(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("coop.sqlite3", b"not a database " * 500)
        archive.writestr("secrets.json", json.dumps({"secret_key": "x"}))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_not_a_zip, "{file} is not a Coop Union backup."),
        (_zip_without_database, "{file} is not a Coop Union backup."),
        (_zip_with_damaged_database, "The database in this backup is damaged."),
    ],
    ids=["not-a-zip", "zip-without-database", "damaged-database"],
)
def test_restore_of_a_file_that_is_not_a_backup_exits_nonzero_and_keeps_the_database(
    demo_dir, tmp_path, make, message
):
    bad = tmp_path / "not-a-backup.zip"
    make(bad)
    before = folder_fingerprint(demo_dir)

    result = coop(demo_dir, "restore", str(bad))

    assert result.returncode == 1
    assert (result.stdout, result.stderr) == ("", message.format(file=bad) + "\n")
    assert folder_fingerprint(demo_dir) == before


def test_restore_of_a_missing_file_exits_nonzero_with_message(demo_dir, tmp_path):
    missing = tmp_path / "missing.zip"
    before = folder_fingerprint(demo_dir)

    result = coop(demo_dir, "restore", str(missing))

    assert result.returncode == 1
    assert (result.stdout, result.stderr) == (
        "",
        f"Cannot read {missing}: No such file or directory.\n",
    )
    assert folder_fingerprint(demo_dir) == before


# 5. migrate


def test_migrate_on_empty_folder_creates_database_and_second_run_changes_nothing(tmp_path):
    folder = tmp_path / "fresh"

    first = coop(folder, "migrate")

    assert (first.returncode, first.stdout, first.stderr) == (
        0, "Migrations applied (sqlite).\n", "",
    )  # fmt: skip
    database = folder / "coop.sqlite3"
    applied = query(database, "SELECT id, app_name, name, ran_on FROM migration ORDER BY id")
    assert sorted((app, name) for _, app, name, _ in applied) == sorted(db.migration_ids())
    schema = query(database, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    assert {"audit_entry", "trade_union", "app_user"} <= {name for _, name, _ in schema}

    second = coop(folder, "migrate")

    assert (second.returncode, second.stdout, second.stderr) == (
        0, "Migrations applied (sqlite).\n", "",
    )  # fmt: skip
    assert query(database, "SELECT id, app_name, name, ran_on FROM migration ORDER BY id") == (
        applied
    )
    assert query(database, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema


def test_token_create_prints_a_token_stored_only_as_its_hash(demo_dir):
    result = coop(
        demo_dir, "token", "create", "--user", "demo-village", "--label", "district system"
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    rows = query(demo_dir / "coop.sqlite3", "SELECT token_hash, label FROM api_token")
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "district system")]


def test_token_create_for_unknown_user_exits_nonzero(demo_dir):
    result = coop(demo_dir, "token", "create", "--user", "nobody")
    assert (result.returncode, result.stderr.strip()) == (1, "No user 'nobody'.")


def test_token_create_expires_after_the_days_given_in_full_width_digits(demo_dir):
    result = coop(demo_dir, "token", "create", "--user", "demo-village", "--expires-days", "３０")
    assert result.returncode == 0, result.stderr
    [(days,)] = query(
        demo_dir / "coop.sqlite3",
        "SELECT round(julianday(expires_at) - julianday(created_at)) FROM api_token",
    )
    assert days == 30


@pytest.mark.parametrize("days", ["0", "3651", "-1", "1.5", "٣"])
def test_token_create_refuses_expiry_days_outside_1_to_3650(demo_dir, days):
    result = coop(demo_dir, "token", "create", "--user", "demo-village", "--expires-days", days)
    rows = query(demo_dir / "coop.sqlite3", "SELECT count(*) FROM api_token")
    assert (result.returncode, result.stderr.strip(), rows) == (
        1,
        "--expires-days takes a whole number from 1 to 3650.",
        [(0,)],
    )


def test_token_list_shows_tokens_without_secrets_and_revoke_marks_one_revoked(demo_dir):
    token = coop(demo_dir, "token", "create", "--user", "demo-village", "--label", "sync")
    secret = token.stdout.strip().splitlines()[-1]
    revoke = coop(demo_dir, "token", "revoke", "1")
    again = coop(demo_dir, "token", "revoke", "1")
    listing = coop(demo_dir, "token", "list")
    header, row = listing.stdout.strip().splitlines()
    fields = row.split("\t")
    assert (
        revoke.stdout.strip(),
        again.returncode,
        header.split("\t"),
        fields[:3],
        fields[5],
        fields[6].endswith(" UTC"),
        secret in listing.stdout,
        hashlib.sha256(secret.encode()).hexdigest() in listing.stdout,
    ) == (
        "Token 1 revoked.",
        1,
        ["id", "user", "label", "created", "expires", "last used", "revoked"],
        ["1", "demo-village", "sync"],
        "-",
        True,
        False,
        False,
    )


# export


def test_export_members_writes_the_masked_roster_and_audits_it(demo_dir, tmp_path):
    out = tmp_path / "roster.csv"
    result = coop(demo_dir, "export", "members", "--out", str(out))
    said = rf"240 members written to {re.escape(str(out))} in \d+\.\d\d s\."
    said = re.fullmatch(said, result.stdout.strip())
    assert (result.returncode, bool(said)) == (0, True)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("序号,姓名,性别,出生日期,民族,身份证号,手机号")
    assert len(lines) == 241 and "********" in lines[1]
    [detail] = query(
        demo_dir / "coop.sqlite3",
        "SELECT detail FROM audit_entry WHERE action = 'export' ORDER BY id DESC LIMIT 1",
    )[0:1]
    assert "rows=240 masked=True" in detail[0]


def test_export_members_refuses_an_unknown_cooperative(demo_dir, tmp_path):
    result = coop(
        demo_dir, "export", "members", "--out", str(tmp_path / "x.csv"), "--cooperative", "9999"
    )
    assert result.returncode != 0 and "cooperative_id" in result.stderr


def test_user_create_scope_number_in_another_scripts_digits_names_nothing(demo_dir):
    result = coop(
        demo_dir,
        "user", "create", "--username", "field-worker", "--name", "Field Worker",
        "--role", "village_organizer", "--scope", "cooperative=\u0967",  # Devanagari 1
        password=PASSWORD,
    )  # fmt: skip

    assert (result.returncode, result.stderr) == (1, "No cooperative '\u0967'.\n")


def test_export_members_with_full_numbers_is_written_for_this_account_only(demo_dir, tmp_path):
    out = tmp_path / "roster.csv"
    out.write_text("an older file, readable by all")
    out.chmod(0o644)
    result = coop(demo_dir, "export", "members", "--full-numbers", "--out", str(out))
    assert (result.returncode, stat.S_IMODE(out.stat().st_mode)) == (0, 0o600)
    assert out.read_text(encoding="utf-8-sig").startswith("序号,姓名")


def test_export_members_xlsx_with_full_numbers_is_written_for_this_account_only(demo_dir, tmp_path):
    out = tmp_path / "roster.xlsx"
    result = coop(
        demo_dir, "export", "members", "--full-numbers", "--format", "xlsx", "--out", str(out)
    )
    assert (result.returncode, stat.S_IMODE(out.stat().st_mode)) == (0, 0o600)
    assert zipfile.is_zipfile(out)


# import


def _memory_cap() -> None:
    """1 GiB of address space: calamine's dense grid for a cell at XFD1048576 is 550 GB."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_import_members_refuses_a_workbook_with_a_cell_at_the_last_row_and_column(
    demo_dir, tmp_path
):
    import xlsxwriter

    hostile = tmp_path / "花名册.xlsx"
    book = xlsxwriter.Workbook(str(hostile))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号", "手机号"])
    sheet.write_string(1_048_575, 16_383, "x")  # XFD1048576
    book.close()
    assert hostile.stat().st_size < 10_000
    env = dict(os.environ, COOP_DATA_DIR=str(demo_dir), PYTHONIOENCODING="utf-8")
    env.pop("COOP_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "coop.cli", "import", "members", str(hostile)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_memory_cap,
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "file: The sheet has cells beyond column 100. Delete the columns you do not need, "
        "or copy the roster into a new sheet.",
    )
