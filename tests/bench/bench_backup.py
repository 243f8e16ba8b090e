#!/usr/bin/env python
"""Timings of `coop backup` and `coop restore` on the demo data and on 100,000 more members.

A script, not a pytest test; CI does not run it. From the repository root:

    .venv/bin/python tests/bench/bench_backup.py --data-dir /tmp/coop-bench-backup \\
        --database-url postgresql://postgres@127.0.0.1:5432/coop_bench_backup

For each engine (SQLite always, PostgreSQL when --database-url is given) and each data
set (the demo; the demo plus `--members 100000`): a fresh database, `coop demo`, then
`coop backup` and `coop restore` into a fresh empty database, each timed as a whole
process (wall seconds). PostgreSQL databases named after the URL with `_src` and `_dst`
added are dropped and made again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import asyncpg


async def recreate(url: str) -> None:
    base, _, name = url.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def coop(data_dir: Path, url: str, *args: str) -> float:
    env = dict(os.environ, COOP_DATA_DIR=str(data_dir))
    env.pop("COOP_DATABASE_URL", None)
    if url:
        env["COOP_DATABASE_URL"] = url
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "coop.cli", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/coop-bench-backup"))
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    engines = [("sqlite", "")] + ([("postgresql", args.database_url)] if args.database_url else [])
    print("| engine | data | backup file | backup s | restore s |")
    print("|---|---|---:|---:|---:|")
    for engine, url in engines:
        for members in (0, 100_000):
            shutil.rmtree(args.data_dir, ignore_errors=True)
            source, target = args.data_dir / "src", args.data_dir / "dst"
            src_url = dst_url = ""
            if url:
                src_url, dst_url = f"{url}_src", f"{url}_dst"
                asyncio.run(recreate(src_url))
                asyncio.run(recreate(dst_url))
            coop(source, src_url, "demo", *(["--members", str(members)] if members else []))
            out = args.data_dir / "backup.zip"
            backup = coop(source, src_url, "backup", "--out", str(out))
            restore = coop(target, dst_url, "restore", str(out))
            data = "demo" + (f" + {members:,} members" if members else "")
            size = out.stat().st_size / 1e6
            print(
                f"| {engine} | {data} | {size:.1f} MB | {backup:.2f} | {restore:.2f} |", flush=True
            )
    shutil.rmtree(args.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
