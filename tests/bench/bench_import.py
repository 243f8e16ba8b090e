#!/usr/bin/env python
"""Benchmark of the roster import: read, check (preview) and commit N new people.

A script, not a pytest test. From the repository root:

    .venv/bin/python tests/bench/bench_import.py --data-dir /tmp/coop-bench-import
    .venv/bin/python tests/bench/bench_import.py --data-dir /tmp/coop-bench-import-pg \
        --database-url postgresql://postgres@127.0.0.1:5432/coop_bench_import

It loads the demo (`coop demo`) into the data folder when needed, writes a roster of
--rows fictional people (new ID numbers each run) as XLSX and as CSV, and times, in
this process and through the same functions the import page uses: reading the file,
the preview (every row checked), and the commit (checked again and written in one
transaction). Prints one line per step with seconds and rows per second, and the
slowest answer of /healthz, asked every 20 ms through the app in the same event loop
meanwhile (what any other request waits while the step runs). Last, it refuses a
1,000,000-row XLSX (the import's limit is 20,000 rows) and says how long /healthz waited.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import logging
import os
import random
import subprocess
import time
from pathlib import Path

import httpx
import xlsxwriter
from benchlib import coop_command, ensure_postgres_database

HEADER = ["序号", "姓名", "身份证号", "手机号", "村", "合作社", "骨干", "民族"]
PLACES = [("蔡家寺村", "蔡家寺村“黑黑黑”合作社")]


def roster_rows(count: int, seed: int) -> list[list[str]]:
    from coop.members.identity import make_resident_id

    rng = random.Random(seed)
    first = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(3000))
    rows = []
    for i in range(count):
        birth = first + dt.timedelta(days=i // 900)
        village, cooperative = rng.choice(PLACES)
        rows.append(
            [
                str(i + 1),
                rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜秀敏静丽强磊军"),
                make_resident_id("500113", birth, 100 + i % 900),
                f"1990{rng.randrange(10**7):07d}",
                village,
                cooperative,
                "否",
                "汉族",
            ]
        )
    return rows


def as_xlsx(rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["蔡家寺村会员花名册"])
    sheet.write_row(1, 0, HEADER)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def million_rows_xlsx(count: int = 1_000_000) -> bytes:
    """One short cell a line, a million lines: about 1.3 MB, the flood of the report."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for r in range(1, count):
        sheet.write_number(r, 0, r)
    book.close()
    return buffer.getvalue()


class HealthProbe:
    """Asks /healthz every 20 ms while a step runs; the slowest answer, in ms."""

    def __init__(self, client) -> None:
        self.client = client
        self.slowest = 0.0

    async def _ask(self) -> None:
        while True:
            due = time.perf_counter() + 0.02
            await asyncio.sleep(0.02)
            # from when the request was due: a loop held by the step delays its start too
            answer = await self.client.get("/healthz")
            assert answer.status_code == 200
            self.slowest = max(self.slowest, time.perf_counter() - due)

    async def during(self, step):
        self.slowest = 0.0
        asker = asyncio.create_task(self._ask())
        await asyncio.sleep(0.05)  # the first answers, before the step
        try:
            return await step
        finally:
            await asyncio.sleep(0.1)  # the request due while the step held the loop answered
            asker.cancel()


async def read(data: bytes):
    """The file read as the import page reads it (before worker threads: in the loop)."""
    from coop.members import imports

    if hasattr(imports, "read_upload"):
        return await imports.read_upload(data)
    return imports.read_roster(data)


def as_csv(rows: list[list[str]]) -> bytes:
    return "\r\n".join(",".join(row) for row in [HEADER, *rows]).encode("gb18030")


async def run(args) -> None:
    from coop import db, privacy
    from coop.accounts.domain import command_line_viewer
    from coop.app import create_app
    from coop.members import imports
    from coop.members.tables import Member
    from coop.settings import Settings
    from coop.validation import ValidationError

    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per probe otherwise
    settings = Settings.from_env()
    db.bind(db.engine_for(settings))
    privacy.configure(settings.secrets())
    await db.start(settings)
    viewer = command_line_viewer()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://bench"
    )
    probe = HealthProbe(client)
    print(f"engine: {settings.engine_name}; members before: {await Member.count()}")
    print(f"{'file':<6} {'step':<8} {'rows':>7} {'seconds':>8} {'rows/s':>8} {'healthz ms':>10}")
    for kind, build in (("xlsx", as_xlsx), ("csv", as_csv)):
        rows = roster_rows(args.rows, seed=time.time_ns())
        data = build(rows)
        started = time.perf_counter()
        sheet = await probe.during(read(data))
        steps = [("read", time.perf_counter() - started, probe.slowest)]
        mapping = imports.guess_mapping(sheet.header)
        started = time.perf_counter()
        found = await probe.during(imports.preview(viewer, sheet, mapping, imports.Defaults()))
        steps.append(("preview", time.perf_counter() - started, probe.slowest))
        assert found.count("new") == args.rows, (found.count("error"), found.rows[0].problems)
        started = time.perf_counter()
        result = await probe.during(
            imports.commit(
                viewer,
                sheet,
                mapping,
                imports.Defaults(),
                skip_errors=False,
                expected_new=args.rows,
                filename=f"bench.{kind}",
            )
        )
        steps.append(("commit", time.perf_counter() - started, probe.slowest))
        assert result.created == args.rows
        for step, seconds, slowest in steps:
            print(
                f"{kind:<6} {step:<8} {args.rows:>7} {seconds:>8.2f} {args.rows / seconds:>8.0f}"
                f" {slowest * 1000:>10.0f}"
            )
        print(f"{kind:<6} {'total':<8} {args.rows:>7} {sum(s for _, s, _ in steps):>8.2f}")
    data = million_rows_xlsx()
    started = time.perf_counter()
    try:
        await probe.during(read(data))
        said = "read"
    except ValidationError as error:
        said = "refused: " + "; ".join(m.text.format(**m.params) for m in error.errors.values())
    seconds = time.perf_counter() - started
    print(
        f"xlsx of 1,000,000 lines ({len(data) / 1e6:.1f} MB): {said} in {seconds:.2f} s; "
        f"/healthz waited at most {probe.slowest * 1000:.0f} ms"
    )
    await client.aclose()
    await db.stop(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["COOP_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.database_url:
        os.environ["COOP_DATABASE_URL"] = args.database_url
        ensure_postgres_database(args.database_url)
    subprocess.run([coop_command(), "demo"], check=True, env=os.environ, stdout=subprocess.DEVNULL)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
