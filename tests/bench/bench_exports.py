#!/usr/bin/env python
"""Benchmark of the member roster export (CSV and XLSX) against the database's own dump.

A script, not a pytest test (pytest collects test_*.py only). CI does not run it.
Run it from the repository root:

    .venv/bin/python tests/bench/bench_exports.py                       # SQLite, 100k and 1M
    .venv/bin/python tests/bench/bench_exports.py --sizes 100000        # quicker
    .venv/bin/python tests/bench/bench_exports.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/coop_bench_exports

What it does, for each size (default 100,000 and 1,000,000 generated members):

1. Prepares a data folder `<--data-dir>/m<size>` (SQLite) or `<--data-dir>/pg-m<size>`
   plus the PostgreSQL database `<name>_m<size>` (created when missing) with
   `coop demo --members <size>`, unless it already holds that many members. The
   generation time is printed. The folder holds `secrets.json`: keep it with the
   database, or the full-number exports cannot decrypt.
2. Reads the SQLite file once (not timed) so every line starts with a warm page cache.
3. Runs, each in its own process under GNU time (`/usr/bin/time`: wall time, user +
   system CPU, peak RSS of that process):
   - **raw dump**: the database's own CSV dump of the roster query's columns,
     `sqlite3 -csv` or `psql -c "COPY (…) TO STDOUT WITH CSV"`, ordered by id. The SQL
     is built from `coop.members.queries.ROSTER_COLUMNS` by Piccolo, so it is the
     export's own query without the batching. Encrypted columns come out as
     ciphertext: same columns, same bytes to read, no decryption.
   - `coop export members --format csv|xlsx --out FILE` (masked) and the same with
     `--full-numbers` (the ceiling for those adds the two encrypted columns);
   - the raw dump again at the end; the faster of the two is the ceiling.
4. Prints a table (rows, seconds, CPU seconds, the export's own seconds as the command
   prints them, rows/s, peak RSS, output size, the ratio to the ceiling by the export's
   own time, by wall time and by CPU time, and the CPU other processes used meanwhile)
   and checks the issue's targets: CSV at least 0.5 of the raw dump's rows/s (by the
   export's own time: the server that runs the export page has no start-up to pay);
   peak RSS at the largest size within 30 MB of the smallest.

The output files are deleted after each line (they hold fictional numbers in full)
unless --keep-files. Nothing is printed from them but sizes and row counts.
On PostgreSQL the server's CPU (the `postgres` processes) is counted in the CPU
columns as well.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchlib import coop_command, ensure_postgres_database, log, machine_busy_seconds

REPO = Path(__file__).resolve().parents[2]
DEMO_MEMBERS = 240  # `coop demo` enrolls these before the generated ones
TIME = "/usr/bin/time"  # GNU time (Debian package `time`)
CSV_TARGET = 0.5
RSS_TARGET_MB = 30.0


# --- CPU accounting ---------------------------------------------------------------------


def postgres_cpu_seconds(database: str) -> float:
    """CPU used so far by the PostgreSQL backends serving `database`. Backends of other
    databases and the cluster's shared helpers count as other processes. A backend
    that exits takes its CPU with it, so run_measured samples while a line runs."""
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if title.startswith("postgres: ") and f" {database} " in title:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_for_quiet(limit_s: float) -> float:
    """Wait (up to limit_s) until other processes use under a quarter of a core."""
    deadline = time.monotonic() + limit_s
    waited = False
    while True:
        before = machine_busy_seconds()
        time.sleep(1)
        busy = (machine_busy_seconds() - before) * 100
        if busy < 25 or time.monotonic() > deadline:
            if waited:
                log(f"  (other processes use {busy:.0f}% of a core; going on)")
            return busy
        waited = True


def run_measured(command: list[str], env: dict, stdout_path: Path, database: str) -> dict:
    """Run one process to its end; its wall time, CPU, peak RSS, and the machine's load.

    GNU time runs it and reports its peak RSS: a process started straight from this
    one would inherit this process's RSS high-water mark (Linux carries it across
    the vfork + exec that subprocess uses), which is not the export's.
    """
    busy_before = machine_busy_seconds()
    postgres = bool(database)
    pg_before = postgres_cpu_seconds(database) if postgres else 0.0
    pg_samples = []
    with (
        stdout_path.open("wb") as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as timed,
    ):
        timer = [TIME, "-o", timed.name, "-f", "%e %U %S %M"]
        started = time.perf_counter()
        process = subprocess.Popen(
            timer + command, env=env, stdout=out, stderr=err, cwd=env["COOP_DATA_DIR"]
        )
        if postgres:  # a backend's CPU vanishes from /proc when it exits: sample while it runs
            while process.poll() is None:
                pg_samples.append(postgres_cpu_seconds(database))
                time.sleep(0.2)
        process.wait()
        wall = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        figures = timed.read().split()
    if process.returncode != 0 or len(figures) < 4:
        return dict(returncode=process.returncode or 1, stderr=stderr[-3000:])
    _, user, system, max_rss_kb = (float(v) for v in figures[-4:])
    cpu = user + system
    pg_cpu = 0.0
    if postgres:
        pg_cpu = max(0.0, max([postgres_cpu_seconds(database), *pg_samples]) - pg_before)
    machine = machine_busy_seconds() - busy_before
    return dict(
        returncode=0,
        stderr=stderr[-3000:],
        seconds=wall,
        cpu=cpu,
        user=user,
        system=system,
        postgres_cpu=pg_cpu,
        rss_mb=max_rss_kb / 1024,
        other_cpu_pct=max(0.0, (machine - cpu - pg_cpu) * 100 / wall),
        load=os.getloadavg()[0],
    )


# --- data ---------------------------------------------------------------------------------


def coop_env(data_dir: Path, database_url: str) -> dict:
    env = dict(os.environ, COOP_DATA_DIR=str(data_dir), PICCOLO_CONF="coop.piccolo_conf")
    env.pop("COOP_DATABASE_URL", None)
    if database_url:
        env["COOP_DATABASE_URL"] = database_url
    return env


def sized_url(url: str, size: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_m{size}"))


def member_count(data_dir: Path, database_url: str) -> int:
    if database_url:
        found = subprocess.run(
            ["psql", database_url, "-X", "-qtAc", "SELECT count(*) FROM member"],
            capture_output=True,
            text=True,
        )
        return int(found.stdout.strip()) if found.returncode == 0 else 0
    path = data_dir / "coop.sqlite3"
    if not path.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            return connection.execute("SELECT count(*) FROM member").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0


def prepare(base: Path, size: int, database_url: str) -> tuple[Path, str, dict]:
    """The data folder (and database) for one size; what it took to generate, if anything."""
    data_dir = base / (f"pg-m{size}" if database_url else f"m{size}")
    data_dir.mkdir(parents=True, exist_ok=True)
    url = sized_url(database_url, size) if database_url else ""
    if url:
        ensure_postgres_database(url)
    have = member_count(data_dir, url)
    if have >= size:
        log(f"Reusing {data_dir}{' and ' + url if url else ''}: {have:,} members.")
        return data_dir, url, dict(have=have)
    wanted = size - max(0, have - DEMO_MEMBERS) if have else size
    log(f"Generating {wanted:,} members into {url or data_dir} (coop demo --members {wanted}) …")
    env = coop_env(data_dir, url)
    started = time.perf_counter()
    demo = subprocess.Popen(
        [coop_command(), "demo", "--members", str(wanted)],
        env=env,
        cwd=data_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in demo.stdout:
        if "/" in line:  # progress lines: "  100,000 / 1,000,000 members  24.4 s"
            log("  " + line.strip())
    _, status, usage = os.wait4(demo.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(
            f"`coop demo --members {wanted}` failed:\n{demo.stderr.read()[-3000:]}\n"
            f"The half-made data folder is {data_dir}; remove it (and the database) first."
        )
    have = member_count(data_dir, url)
    cpu = usage.ru_utime + usage.ru_stime
    log(f"  done: {have:,} members in {seconds:.0f} s ({cpu:.0f} CPU s in coop demo)")
    return data_dir, url, dict(have=have, generated=wanted, seconds=seconds, cpu=cpu)


# --- the lines ----------------------------------------------------------------------------


def roster_sql(full: bool) -> str:
    """The export's own query (its columns, joins and order), all rows at once, as Piccolo
    writes it."""
    os.environ.setdefault("PICCOLO_CONF", "coop.piccolo_conf")
    from coop.members import domain
    from coop.members.tables import Member

    columns = (
        (*domain.ROSTER_COLUMNS, Member.id_encrypted, Member.phone_encrypted)
        if full
        else domain.ROSTER_COLUMNS
    )
    return str(Member.select(*columns).order_by(Member.id))


def count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def raw_dump_command(data_dir: Path, url: str, full: bool) -> list[str]:
    if url:
        sql = roster_sql(full)
        return ["psql", url, "-X", "-q", "-c", f"COPY ({sql}) TO STDOUT WITH CSV"]
    return ["sqlite3", "-readonly", "-csv", str(data_dir / "coop.sqlite3"), roster_sql(full)]


def export_command(file_format: str, full: bool, out: Path) -> list[str]:
    command = [coop_command(), "export", "members", "--format", file_format, "--out", str(out)]
    return command + (["--full-numbers"] if full else [])


def run_line(name: str, args, data_dir: Path, url: str, full: bool) -> dict:
    env = coop_env(data_dir, url)
    kind, _, file_format = name.partition(" ")
    extension = "csv" if kind == "raw" else file_format
    out = data_dir / f"bench-out.{extension}"
    stdout = data_dir / "bench-stdout.txt"
    if kind == "raw":
        command = raw_dump_command(data_dir, url, full)
        stdout = out
    else:
        command = export_command(file_format, full, out)
    if args.quiet_wait:
        wait_for_quiet(args.quiet_wait)
    r = run_measured(command, env, stdout, urlsplit(url).path.lstrip("/") if url else "")
    if r["returncode"] != 0:
        sys.exit(f"{name}: {command[0]} failed ({r['returncode']}):\n{r['stderr']}")
    if kind == "raw":
        r["rows"] = count_lines(out)
    else:
        written = re.search(r"(\d+) members written .* in ([\d.]+) s", stdout.read_text())
        r["rows"] = int(written.group(1)) if written else -1
        r["own_seconds"] = float(written.group(2)) if written else float("nan")
    r["mb_out"] = out.stat().st_size / 1e6
    if not args.keep_files:
        out.unlink(missing_ok=True)
        if stdout != out:
            stdout.unlink(missing_ok=True)
    r.update(name=name + (" full" if full else ""), full=full, kind=kind, format=extension)
    r["rate"] = r["rows"] / r["seconds"]
    # The export's own time, from its query to its last byte, as in the running server; the
    # dump has next to no start-up, so its own time is its wall time.
    r.setdefault("own_seconds", r["seconds"])
    r["rate_own"] = r["rows"] / r["own_seconds"]
    r["cpu_all"] = r["cpu"] + r["postgres_cpu"]
    r["rate_cpu"] = r["rows"] / r["cpu_all"] if r["cpu_all"] else float("nan")
    log(
        f"  {r['name']:<16} {r['rows']:>9,} rows {r['seconds']:7.1f} s "
        f"(CPU {r['cpu']:.1f} s = {r['user']:.1f} user + {r['system']:.1f} sys"
        + (f", postgres {r['postgres_cpu']:.1f} s" if url else "")
        + f") {r['rate']:>9,.0f} rows/s, peak RSS {r['rss_mb']:6.1f} MB, "
        f"{r['mb_out']:.0f} MB out; other processes {r['other_cpu_pct']:.0f}% of a core"
    )
    return r


def warm(data_dir: Path, url: str) -> None:
    """Read the database file once so no line pays for the first read from disk."""
    if url:
        return
    started = time.perf_counter()
    with (data_dir / "coop.sqlite3").open("rb") as data:
        while data.read(1 << 22):
            pass
    seconds = time.perf_counter() - started
    log(f"  (read the database file once, to warm the page cache: {seconds:.1f} s)")


def measure_size(args, size: int) -> dict:
    data_dir, url, prepared = prepare(Path(args.data_dir), size, args.database_url)
    warm(data_dir, url)
    expected = member_count(data_dir, url)
    lines = []
    for full in args.numbers:
        lines.append(("raw dump", full))
        lines += [(f"export {f}", full) for f in args.formats]
    lines += [("raw dump", full) for full in args.numbers]  # the ceiling again at the end
    results = []
    for _ in range(args.repeat):
        for name, full in lines:
            results.append(run_line(name, args, data_dir, url, full))
    stages = (
        [measure_stages(args, data_dir, url, full) for full in args.numbers] if args.stages else []
    )
    for r in results:
        if r["rows"] != expected:
            log(f"  WARNING: {r['name']} wrote {r['rows']:,} rows, the database holds {expected:,}")
    return dict(
        size=size,
        members=expected,
        prepared=prepared,
        data_dir=str(data_dir),
        lines=results,
        stages=stages,
    )


STAGES = ("cells (as XLSX takes them)", "CSV (database-made lines)", "plain sqlite3 + csv")


async def _stage_figures(full: bool) -> dict:
    """In this (child) process: what each stage of a CSV export costs, per row."""
    import csv
    import io

    from coop import db
    from coop.accounts.domain import command_line_viewer
    from coop.cli import _setup
    from coop.members import domain, exports

    settings = _setup()
    await db.start(settings)
    viewer, where = command_line_viewer(), domain.MemberFilter()
    figures = {}

    async def timed(name, run):
        started, cpu = time.perf_counter(), time.process_time()
        rows = await run()
        figures[name] = dict(
            rows=rows, seconds=time.perf_counter() - started, cpu=time.process_time() - cpu
        )

    async def row_cells():
        rows = exports.RosterExport(viewer, where, exports.STANDARD, full, "xlsx")
        async for _ in rows.rows():
            pass
        return rows.count

    async def csv_text():
        rows = exports.RosterExport(viewer, where, exports.STANDARD, full, "csv")
        async for _ in rows.chunks():
            pass
        return rows.count

    async def plain():
        if settings.engine_name != "sqlite":
            return 0  # the floor is for SQLite only
        connection = sqlite3.connect(settings.sqlite_path)
        cursor, out, rows = connection.execute(roster_sql(full)), io.StringIO(), 0
        writer = csv.writer(out)
        while batch := cursor.fetchmany(1000):
            writer.writerows(batch)
            rows += len(batch)
            out.seek(0)
            out.truncate()
        connection.close()
        return rows

    for name, run in zip(STAGES, (row_cells, csv_text, plain), strict=True):
        await timed(name, run)
    await db.stop(settings)
    return figures


def measure_stages(args, data_dir: Path, url: str, full: bool) -> dict:
    """Run the stage breakdown in a child process on one data folder."""
    env = coop_env(data_dir, url)
    command = [sys.executable, __file__, "--stages-child", "full" if full else "masked"]
    done = subprocess.run(command, env=env, cwd=data_dir, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"stage breakdown failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    label = "full numbers" if full else "masked"
    for name, f in figures.items():
        if f["rows"]:
            log(
                f"  stage {name:<22} ({label}): {f['rows']:,} rows, {f['seconds']:.1f} s, "
                f"CPU {f['cpu']:.1f} s = {f['cpu'] * 1e6 / f['rows']:.1f} µs/row"
            )
    return figures


def best(lines: list[dict], name: str) -> dict:
    """The fastest run of one line (by wall time)."""
    return min((r for r in lines if r["name"] == name), key=lambda r: r["seconds"])


def report(args, sizes: list[dict], engine: str) -> list[str]:
    log(
        f"\n| members ({engine}) | line | rows | seconds | CPU s | export's own s | rows/s "
        "(own) | peak RSS MB | MB out | ratio to raw dump (own time) | ratio (wall) "
        "| ratio (CPU) | other processes, % of a core |"
    )
    log("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for s in sizes:
        names = list(dict.fromkeys(r["name"] for r in s["lines"]))
        for name in names:
            r = best(s["lines"], name)
            ceiling = best(s["lines"], "raw dump" + (" full" if r["full"] else ""))
            runs = [x for x in s["lines"] if x["name"] == name]
            ratio = r["rate"] / ceiling["rate"]
            ratio_own = r["rate_own"] / ceiling["rate_own"]
            ratio_cpu = r["rate_cpu"] / ceiling["rate_cpu"]
            log(
                f"| {s['members']:,} | {name}{f' (best of {len(runs)})' if len(runs) > 1 else ''} "
                f"| {r['rows']:,} | {r['seconds']:.2f} | {r['cpu_all']:.2f} "
                f"| {r['own_seconds']:.2f} | {r['rate_own']:,.0f} | {r['rss_mb']:.1f} "
                f"| {r['mb_out']:.0f} | {ratio_own:.2f} | {ratio:.2f} | {ratio_cpu:.2f} "
                f"| {r['other_cpu_pct']:.0f} |"
            )
            r["ratio"], r["ratio_own"], r["ratio_cpu"] = ratio, ratio_own, ratio_cpu
            if r["kind"] == "export" and r["format"] == "csv":
                ok = ratio_own >= CSV_TARGET
                verdicts.append(
                    f"{'MET' if ok else 'MISSED'}: {name} at {s['members']:,} members runs at "
                    f"{ratio_own:.2f} of the raw dump's rows/s by the export's own time "
                    f"(whole command {ratio:.2f}, CPU {ratio_cpu:.2f}); target {CSV_TARGET}"
                )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for name in dict.fromkeys(r["name"] for r in large["lines"] if r["kind"] == "export"):
            peak_small = max(r["rss_mb"] for r in small["lines"] if r["name"] == name)
            peak_large = max(r["rss_mb"] for r in large["lines"] if r["name"] == name)
            growth = peak_large - peak_small
            verdicts.append(
                f"{'MET' if growth <= RSS_TARGET_MB else 'MISSED'}: {name} peak RSS "
                f"{peak_small:.1f} MB at {small['members']:,} → {peak_large:.1f} MB at "
                f"{large['members']:,} ({growth:+.1f} MB; target within {RSS_TARGET_MB:.0f} MB)"
            )
    log("")
    for verdict in verdicts:
        log(verdict)
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        default=str(Path(tempfile.gettempdir()) / "coop-bench-exports"),
        help="base folder; one data folder per size inside it, reused (default: %(default)s)",
    )
    parser.add_argument("--database-url", default="", help="postgresql://…/NAME (default: SQLite)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", choices=("csv", "xlsx"), default=["csv", "xlsx"])
    parser.add_argument(
        "--numbers",
        nargs="+",
        choices=("masked", "full"),
        default=["masked", "full"],
        help="masked exports, full-number exports, or both",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of every line; best counts")
    parser.add_argument("--quiet-wait", type=float, default=10, help="s to wait for idle CPUs")
    parser.add_argument("--keep-files", action="store_true", help="keep the exported files")
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also time the stages of a CSV export in one process (database-made cells, CSV text, "
        "and plain sqlite3 + csv as the floor for Python)",
    )
    parser.add_argument("--json-out", help="write the figures to this file")
    parser.add_argument("--stages-child", choices=("masked", "full"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages_child:
        figures = asyncio.run(_stage_figures(args.stages_child == "full"))
        print(json.dumps(figures), flush=True)
        return
    args.numbers = [n == "full" for n in dict.fromkeys(args.numbers)]
    args.sizes = sorted(set(args.sizes))
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)

    if not Path(TIME).exists():
        sys.exit(f"{TIME} is not installed (apt-get install -y time)")
    tool = "psql" if args.database_url else "sqlite3"
    if not shutil.which(tool):
        package = "postgresql-client" if args.database_url else "sqlite3"
        sys.exit(f"`{tool}` is not installed (apt-get install -y {package})")
    engine = "PostgreSQL" if args.database_url else "SQLite"
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.split()
    release = next((word for word in version if word[:1].isdigit()), "?")
    git = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    log(
        f"Roster export benchmark: {engine}, git {git}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, {tool} {release}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    sizes = []
    for size in args.sizes:
        log(f"\n{size:,} generated members:")
        sizes.append(measure_size(args, size))
    verdicts = report(args, sizes, engine)
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(dict(args=vars(args), sizes=sizes, verdicts=verdicts), indent=1, default=str)
        )


if __name__ == "__main__":
    main()
