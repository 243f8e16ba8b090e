#!/usr/bin/env python
"""Load benchmark of the public training registration (form POST and JSON API).

A script, not a pytest test (pytest collects test_*.py only). Run it from the
repository root:

    .venv/bin/python tests/bench/bench_trainings.py --data-dir /tmp/coop-bench-trainings
    .venv/bin/python tests/bench/bench_trainings.py --data-dir /tmp/coop-bench-trainings-pg \
        --database-url postgresql://postgres@127.0.0.1:5432/coop_bench

It runs `coop demo` in the data folder (and creates the PostgreSQL database when
missing), creates through the domain functions one open session per line (audience
"anyone", 7 days ahead, 10,000 seats; fewer for the waiting-list line) in a new
programme of the “姜家黑” federation, and starts `coop serve` (1 worker) on a free
loopback port with COOP_PUBLIC_RATE_LIMIT=0. Then an asyncio httpx client, with
--concurrency workers on one keep-alive connection each, registers farmers with unique
mobile numbers: "form" is GET /r/{slug} (CSRF cookie and token, signed submission_key,
new cookie jar per farmer) then POST /r/{slug} -> 303, only the POST timed; "api" is
POST /api/v1/trainings/sessions/{id}/registrations -> 201. After each line it checks the
database: confirmed == min(capacity, registrations), numbers, codes and phones unique,
numbers 1..n, the session's counters, and that seats went to numbers 1..capacity.
The server is stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from benchlib import (
    coop_command,
    ensure_postgres_database,
    free_port,
    log,
    machine_busy_seconds,
)

FEDERATION = "“姜家黑”产业工会联合会"
START_TIMEOUT = 60.0
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华"


def stat_cpu(text: str) -> float:
    """User + system CPU seconds from the text of /proc/PID/stat."""
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    return stat_cpu(Path(f"/proc/{pid}/stat").read_text())


def postgres_cpu_seconds(database: str) -> float:
    """CPU of the PostgreSQL backends serving `database` (counted apart from "other
    processes"). Backends of other databases, and the cluster's shared helpers (WAL
    writer, checkpointer), count as other processes: others may be using the server."""
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if title.startswith("postgres: ") and f" {database} " in title:
                total += stat_cpu((proc / "stat").read_text())
    return total


def wait_for_quiet(limit_s: float) -> float:
    """Wait (up to limit_s) until other processes use under a quarter of a core."""
    deadline = time.monotonic() + limit_s
    while True:
        before = machine_busy_seconds()
        time.sleep(1)
        busy = (machine_busy_seconds() - before) * 100
        if busy < 25 or time.monotonic() > deadline:
            return busy
        log(f"  (the machine is busy: {busy:.0f}% of a core used by other processes; waiting)")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def farmer_name(n: int) -> str:
    return (
        SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 20) % len(GIVEN)] + GIVEN[(n // 7) % len(GIVEN)]
    )


# --- preparing the data -----------------------------------------------------------------


def prepare(args, env: dict) -> None:
    if args.database_url:
        ensure_postgres_database(args.database_url)
    started = time.perf_counter()
    demo = subprocess.run(
        [coop_command(), "demo"],
        env=env,
        cwd=args.data_dir,
        capture_output=True,
        text=True,
    )
    if demo.returncode != 0:
        sys.exit(f"`coop demo` failed ({demo.returncode}):\n{demo.stderr[-3000:]}")
    log(f"coop demo: {demo.stdout.splitlines()[0]} ({time.perf_counter() - started:.1f} s)")


async def create_sessions(capacities: dict[str, int]) -> dict[str, dict]:
    """One open session per line, in a new programme of the federation; with the
    villages and cooperatives a registrant may choose."""
    from coop.accounts.domain import command_line_viewer
    from coop.orgs.tables import Union
    from coop.trainings import domain

    viewer = command_line_viewer()
    union = await Union.select(Union.id).where(Union.name == FEDERATION).first().run()
    if union is None:
        sys.exit(f"No union {FEDERATION}: not demo data?")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    programme_id = await domain.save_programme(
        viewer, domain.ProgrammeInput(f"压测 {stamp}", "", union["id"])
    )
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=7)
    found = {}
    for line, capacity in capacities.items():
        data = domain.SessionInput(
            topic=f"压测 {line} {stamp}",
            trainer="王老师",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            place="蔡家寺村村委会",
            online_link="",
            capacity=capacity,
            audience="anyone",
            status="open",
        )
        session_id = await domain.create_session(viewer, programme_id, data)
        session = await domain.get_session(viewer, session_id)
        places = await domain.places(session)
        found[line] = dict(
            id=session_id,
            slug=session["slug"],
            capacity=capacity,
            villages=[v["id"] for v in places["villages"]],
            cooperatives=[c["id"] for c in places["cooperatives"]],
        )
    return found


async def check_session(session: dict, expected: int) -> dict:
    """What the database holds for one session after a line, and whether it is right."""
    from coop.trainings.tables import TrainingSession

    [row] = await TrainingSession.raw(
        "SELECT count(*) AS n, count(DISTINCT r.number) AS numbers,"
        " count(DISTINCT r.code) AS codes, count(DISTINCT r.phone_hash) AS phones,"
        " min(r.number) AS first, max(r.number) AS last,"
        " sum(CASE WHEN r.status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,"
        " sum(CASE WHEN r.status = 'waitlisted' THEN 1 ELSE 0 END) AS waitlisted,"
        " max(CASE WHEN r.status = 'confirmed' THEN r.number END) AS last_seat,"
        " min(CASE WHEN r.status = 'waitlisted' THEN r.number END) AS first_waiting,"
        " s.seats_taken AS seats_taken, s.last_number AS last_number"
        " FROM training_session s LEFT JOIN training_registration r ON r.session = s.id"
        " WHERE s.id = {} GROUP BY s.seats_taken, s.last_number",
        session["id"],
    )
    n, capacity = row["n"], session["capacity"]
    seats = min(capacity, expected)
    row["ok"] = (
        n == expected
        and row["numbers"] == row["codes"] == row["phones"] == n
        and (n == 0 or (row["first"], row["last"]) == (1, n))
        and row["confirmed"] == seats == row["seats_taken"]
        and row["waitlisted"] == n - seats
        and row["last_number"] == n
        and (
            row["waitlisted"] == 0 or (row["last_seat"], row["first_waiting"]) == (seats, seats + 1)
        )
    )
    return row


# --- load ---------------------------------------------------------------------------------


def pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


async def run_line(kind: str, url: str, session: dict, total: int, concurrency: int, first: int):
    """`total` registrations by `concurrency` workers; farmer n gets mobile 139 + first + n."""
    import httpx

    counter = iter(range(total))
    posts: list[float] = []
    gets: list[float] = []
    errors: dict[str, int] = {}
    villages, cooperatives = session["villages"], session["cooperatives"]
    expected = 303 if kind == "form" else 201

    def error(what: str) -> None:
        errors[what] = errors.get(what, 0) + 1

    async def farmer(client: httpx.AsyncClient, n: int) -> None:
        body = {
            "name": farmer_name(n),
            "phone": f"139{first + n:08d}",
            "village_id": villages[n % len(villages)],
        }
        if n % 2 and cooperatives:
            body["cooperative_id"] = cooperatives[n % len(cooperatives)]
        if kind == "api":
            started = time.perf_counter()
            answer = await client.post(
                f"/api/v1/trainings/sessions/{session['id']}/registrations", json=body
            )
            posts.append(time.perf_counter() - started)
            if answer.status_code != expected:
                error(f"POST {answer.status_code}")
            return
        client.cookies.clear()  # a new visitor: no CSRF cookie yet
        started = time.perf_counter()
        page = await client.get(f"/r/{session['slug']}")
        gets.append(time.perf_counter() - started)
        csrf, key = CSRF.search(page.text), SUBMISSION_KEY.search(page.text)
        if page.status_code != 200 or not csrf or not key:
            error(f"GET {page.status_code}")
            return
        form = {k: str(v) for k, v in body.items()}
        form.update(_csrf_token=csrf.group(1), submission_key=key.group(1), resident_id="")
        started = time.perf_counter()
        answer = await client.post(f"/r/{session['slug']}", data=form)
        posts.append(time.perf_counter() - started)
        location = answer.headers.get("location", "")
        if answer.status_code != expected or "/registration/" not in location:
            error(f"POST {answer.status_code}")

    async def worker() -> None:
        async with httpx.AsyncClient(
            base_url=url,
            headers={"Accept-Language": "zh-CN"},
            limits=httpx.Limits(max_connections=1),
            timeout=60,
        ) as client:
            for n in counter:
                try:
                    await farmer(client, n)
                except httpx.HTTPError as exc:
                    error(type(exc).__name__)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return dict(seconds=time.perf_counter() - started, posts=posts, gets=gets, errors=errors)


class Server:
    def __init__(self, env: dict, cwd: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = cwd / "bench-trainings-server.log"
        command = [coop_command(), "serve", "--workers", "1"]
        with self.log_path.open("w") as out:
            self.process = subprocess.Popen(
                command + ["--port", str(self.port)],
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"coop serve exited ({self.process.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"coop serve did not answer within {START_TIMEOUT:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()[-3000:]

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- main ----------------------------------------------------------------------------------


def measure(args, server: Server, name: str, kind: str, session: dict, total: int, first: int):
    wait_for_quiet(args.quiet_wait)
    before = (cpu_seconds(server.process.pid), own_cpu_seconds(), machine_busy_seconds())
    database = urlsplit(args.database_url).path.lstrip("/")
    pg_before = postgres_cpu_seconds(database) if args.database_url else 0.0
    figures = asyncio.run(run_line(kind, server.url, session, total, args.concurrency, first))
    server_cpu = cpu_seconds(server.process.pid) - before[0]
    client_cpu = own_cpu_seconds() - before[1]
    pg_cpu = postgres_cpu_seconds(database) - pg_before if args.database_url else 0.0
    other_cpu = machine_busy_seconds() - before[2] - server_cpu - client_cpu - pg_cpu
    posts, gets, errors, seconds = (figures[k] for k in ("posts", "gets", "errors", "seconds"))
    done = len(posts) - sum(v for k, v in errors.items() if k.startswith("POST"))
    r = dict(
        kind=kind,
        registrations=done,
        seconds=seconds,
        rate=done / seconds,
        **{f"post_p{p}": pct(posts, p) for p in (50, 95, 99, 100)},
        **{f"get_p{p}": pct(gets, p) for p in (50, 95)},
        errors=errors,
        server_cpu_ms=server_cpu * 1000 / total,
        server_cpu_pct=server_cpu * 100 / seconds,
        client_cpu_pct=client_cpu * 100 / seconds,
        other_cpu_pct=max(0.0, other_cpu * 100 / seconds),
        postgres_cpu_ms=pg_cpu * 1000 / total,
        check=asyncio.run(check_session(session, done)),
    )
    gets_text = f"; page GET p50 {r['get_p50']:.1f}, p95 {r['get_p95']:.1f} ms" if gets else ""
    pg_text = f", PostgreSQL {r['postgres_cpu_ms']:.1f} ms/reg" if args.database_url else ""
    c = r["check"]
    log(
        f"\n{name}: {done:,} registrations in {seconds:.1f} s = {r['rate']:.1f}/s; POST p50 "
        f"{r['post_p50']:.1f}, p95 {r['post_p95']:.1f}, p99 {r['post_p99']:.0f}, max "
        f"{r['post_p100']:.0f} ms{gets_text}\n"
        f"  failed: {sum(errors.values())} {errors or ''}; CPU: server "
        f"{r['server_cpu_ms']:.1f} ms/reg ({r['server_cpu_pct']:.0f}% of a core){pg_text}, "
        f"client {r['client_cpu_pct']:.0f}%, other processes {r['other_cpu_pct']:.0f}%\n"
        f"  database check {'OK' if c['ok'] else 'FAILED'}: {c['n']} rows, {c['confirmed']} "
        f"confirmed (expected min({session['capacity']}, {done})), {c['waitlisted']} waiting; "
        f"distinct numbers {c['numbers']}, codes {c['codes']}, phones {c['phones']}; numbers "
        f"{c['first']}..{c['last']}; seats_taken {c['seats_taken']}, last_number "
        f"{c['last_number']}"
        + (
            f"; last seat #{c['last_seat']}, first waiting #{c['first_waiting']}"
            if c["waitlisted"]
            else ""
        )
    )
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="data folder (default: a new temporary one)")
    parser.add_argument("--database-url", default="", help="postgresql://… (default: SQLite)")
    parser.add_argument("--registrations", type=int, default=3000, help="per line")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--capacity", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200, help="registrations, not reported")
    parser.add_argument(
        "--waitlist",
        type=int,
        nargs=2,
        default=(300, 600),
        metavar=("SEATS", "REGISTRATIONS"),
        help="the waiting-list line (API); 0 0 to skip",
    )
    parser.add_argument("--only", nargs="+", choices=("form", "api", "waiting list"))
    parser.add_argument("--quiet-wait", type=float, default=60, help="s to wait for idle CPUs")
    parser.add_argument("--source", help="run the app from this source tree (PYTHONPATH)")
    parser.add_argument("--json-out", help="write the figures to this file")
    args = parser.parse_args()

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="coop-bench-trainings-")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    args.data_dir = str(data_dir)
    os.environ.update(COOP_DATA_DIR=args.data_dir, PICCOLO_CONF="coop.piccolo_conf")
    os.environ.pop("COOP_DATABASE_URL", None)
    if args.database_url:
        os.environ["COOP_DATABASE_URL"] = args.database_url
    if args.source:
        sys.path.insert(0, str(Path(args.source).resolve()))
        os.environ["PYTHONPATH"] = sys.path[0]
    env = dict(os.environ, COOP_PUBLIC_RATE_LIMIT="0")
    engine = "PostgreSQL" if args.database_url else "SQLite"
    log(
        f"Training registration benchmark: {engine}, data in {data_dir}; {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}" + (f", source {args.source}" if args.source else "")
    )
    prepare(args, env)

    from coop.cli import _setup

    _setup()  # binds the database as `coop` does, from the same environment
    lines = {
        "warm-up": (args.capacity, "form", args.warmup),
        "form": (args.capacity, "form", args.registrations),
        "api": (args.capacity, "api", args.registrations),
        "waiting list": (args.waitlist[0], "api", args.waitlist[1]),
    }
    lines = {
        name: line
        for name, line in lines.items()
        if line[0] and line[2] and (not args.only or name in args.only or name == "warm-up")
    }
    sessions = asyncio.run(create_sessions({name: line[0] for name, line in lines.items()}))
    listed = ", ".join(f"{n} #{s['id']} ({s['capacity']:,} seats)" for n, s in sessions.items())
    some = next(iter(sessions.values()))
    log(
        f"Sessions: {listed}; {len(some['villages'])} villages and "
        f"{len(some['cooperatives'])} cooperatives to choose from."
    )
    server = Server(env, data_dir)
    log(
        f"coop serve (1 worker, pid {server.process.pid}) on {server.url} with "
        "COOP_PUBLIC_RATE_LIMIT=0: the public rate limit is OFF.\n"
        f"Client: httpx {__import__('httpx').__version__} (asyncio) in this process, "
        f"{args.concurrency} workers with one keep-alive connection each; not wrk, as every "
        "request needs its own body, and each form its own CSRF token and submission key."
    )
    results = {}
    try:
        for index, (name, (_, kind, total)) in enumerate(lines.items()):
            results[name] = measure(args, server, name, kind, sessions[name], total, index * 10**7)
    finally:
        server.stop()

    log(
        f"\n| line ({engine}, {args.concurrency} clients) | registrations | reg/s | POST p50 ms "
        "| POST p95 ms | POST max ms | GET p50 ms | GET p95 ms | failed | server CPU ms/reg "
        "| other CPU % | DB check |"
    )
    log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, r in results.items():
        if name == "warm-up":
            continue
        get = f"{r['get_p50']:.1f} | {r['get_p95']:.1f}" if r["kind"] == "form" else "– | –"
        log(
            f"| {name} ({r['kind']}) | {r['registrations']:,} | {r['rate']:.1f} | "
            f"{r['post_p50']:.1f} | {r['post_p95']:.1f} | {r['post_p100']:.0f} | {get} | "
            f"{sum(r['errors'].values())} | {r['server_cpu_ms']:.1f} | {r['other_cpu_pct']:.0f} | "
            f"{'OK' if r['check']['ok'] else 'FAILED'} |"
        )
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(dict(args=vars(args), results=results), indent=1, default=str)
        )
    if not all(r["check"]["ok"] for r in results.values()):
        sys.exit("A database check FAILED; see above.")


if __name__ == "__main__":
    main()
