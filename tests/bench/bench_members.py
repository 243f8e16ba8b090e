#!/usr/bin/env python
"""Load benchmark of the member list and search against a framework ceiling.

A script, not a pytest test (pytest collects test_*.py only, and nothing here is
named test_*). CI does not run it. Run it from the repository root:

    .venv/bin/python tests/bench/bench_members.py --data-dir /tmp/coop-bench   # ~6 min
    .venv/bin/python tests/bench/bench_members.py --no-what-if --profile-seconds 0  # ~2 min

--data-dir is created and filled (`coop demo --members 100000`, ~30 s) when it does
not yet hold --members members, and reused as it is otherwise. Without it, a new
temporary folder is filled on every run.

What it does:

1. Prepares the data folder.
2. Times the SQL of the list and the search directly (plain sqlite3, and through
   Piccolo), and traces requests in process (Litestar's test client) to split each
   into SQL, Piccolo's Python, Jinja and the rest.
3. Starts `coop serve` (1 worker, no access log) on a free loopback port, signs in
   as demo-federation, and starts the ceiling: a bare Litestar app defined below,
   served by uvicorn in its own process (1 worker), that renders the same 50 rows
   from memory with a Jinja template equivalent to templates/members/_rows.html.
4. Loads every page with `wrk` (32 connections, fixed duration; installed with
   apt-get when missing and allowed, else an asyncio httpx client, and it says so)
   and prints median and p95 latency, requests/second, non-2xx responses, server CPU
   per request and the ratio to the ceiling. Before each run it waits for the
   machine to be idle, and it reports CPU used by other processes during the run.
5. Profiles the server under load with py-spy (if installed) and prints hotspots.
6. What-if runs, to size the suggestions in RESULTS.md: the same app, unchanged
   on disk, with one change made at start-up (SQLite ANALYZE on a copy of the data;
   the session written back only when changed; in-process caches).

Every server it starts is stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections import Counter
from pathlib import Path

from benchlib import coop_command, free_port, log, machine_busy_seconds

REPO = Path(__file__).resolve().parents[2]
COOPERATIVE = "蔡家寺村“黑黑黑”合作社"
FEDERATION = "“姜家黑”产业工会联合会"
USERNAME, PASSWORD = "demo-federation", "demo-pass"
PAGE_ROWS = 50
ROW_LINK = re.compile(r'<a href="/members/\d+"><strong>')
START_TIMEOUT = 60.0

# --- the ceiling: a bare Litestar app rendering the same rows from memory ---------------

CEILING_ROWS = """\
<p class="muted" role="status">{% if found.rows %}{{ _("Page %(page)s", page=found.page) }}{% else %}{{ _("No members match.") }}{% endif %}</p>
<ul class="plain card members">
{% for m in found.rows %}
  <li>
    {% if can_approve and m.status == "applicant" %}<label class="check inline-check"><input type="checkbox" name="member_ids" value="{{ m.id }}" form="approve-form" aria-label="{{ _('Select %(name)s', name=m.name) }}"></label>{% endif %}
    <a href="/members/{{ m.id }}"><strong>{{ m.name }}</strong></a>
    <span class="tag">{{ status_names[m.status] | t }}</span>
    {% if m.is_backbone %}<span class="tag">{{ _("Backbone") }}</span>{% endif %}
    {% if m.first_batch %}<span class="tag">{{ _("First batch") }}</span>{% endif %}
    <div class="muted">{{ m.cooperative_name }} · {{ m.village_name }}</div>
    <div class="muted">{{ m.id_masked }} · {{ m.phone_masked }}{% if m.card_number %} · {{ _("Card") }} {{ m.card_number }}{% endif %}{% if m.worker_post %} · {{ post_names[m.worker_post] | t }}{% endif %}</div>
  </li>
{% endfor %}
</ul>
<nav class="pager" aria-label="{{ _('Pages') }}">
  {% if found.page > 1 %}<a class="button secondary" href="{{ page_link(found.page - 1) }}">{{ _("Previous") }}</a>{% endif %}
  {% if found.has_next %}<a class="button secondary" href="{{ page_link(found.page + 1) }}">{{ _("Next") }}</a>{% endif %}
</nav>
"""  # noqa: E501 (the lines of templates/members/_rows.html)

CEILING_PAGE = """\
<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ _("Members") }}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main>
<h1>{{ _("Members") }}</h1>
<div id="results">{% include "_rows.html" %}</div>
</main></body></html>
"""

# The same words the real page shows in Chinese.
CEILING_WORDS = {
    "Members": "会员",
    "Page %(page)s": "第 %(page)s 页",
    "No members match.": "没有符合条件的会员。",
    "Select %(name)s": "选择 %(name)s",
    "Backbone": "骨干",
    "First batch": "首批",
    "Card": "会员证",
    "Pages": "翻页",
    "Previous": "上一页",
    "Next": "下一页",
}
CEILING_STATUS = {
    "applicant": "申请人",
    "member": "会员",
    "transferred_out": "已转出",
    "left": "已退会",
}
CEILING_POSTS = {
    "base": "基地",
    "workshop": "加工车间",
    "processing": "加工",
    "sales": "销售",
    "livestream": "直播",
    "other": "其他",
}

# The list page's query (coop.members.queries.search, LIST_COLUMNS) in plain SQL.
LIST_SQL = """
SELECT m.id, m.name, m.id_masked, m.phone_masked, m.status, m.is_backbone,
       m.first_batch, m.card_number, m.worker_post, m.cooperative, m.village,
       c.name AS cooperative_name, v.name AS village_name
FROM member m
LEFT JOIN cooperative c ON c.id = m.cooperative
LEFT JOIN village v ON v.id = m.village
WHERE m.federation = ? AND m.cooperative = ?
ORDER BY m.id DESC LIMIT 51
"""


def ceiling_app(db_path: str, cooperative_id: int):
    """The framework ceiling: Litestar + Jinja + uvicorn, no database, no session."""
    from dataclasses import dataclass
    from urllib.parse import urlencode

    from jinja2 import DictLoader, Environment, select_autoescape
    from litestar import Litestar, get
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.response import Template
    from litestar.template.config import TemplateConfig

    @dataclass
    class Found:
        rows: list
        page: int
        has_next: bool

    connection = sqlite3.connect(db_path)
    connection.row_factory = sqlite3.Row
    federation = connection.execute(
        "SELECT federation FROM cooperative WHERE id = ?", (cooperative_id,)
    ).fetchone()[0]
    rows = [dict(r) for r in connection.execute(LIST_SQL, (federation, cooperative_id))]
    connection.close()
    found = Found(rows[:PAGE_ROWS], 1, len(rows) > PAGE_ROWS)

    def gettext(text: str, **params) -> str:
        text = CEILING_WORDS.get(text, text)
        return text % params if params else text

    env = Environment(
        loader=DictLoader({"page.html": CEILING_PAGE, "_rows.html": CEILING_ROWS}),
        autoescape=select_autoescape(default=True),
    )
    env.globals["_"] = gettext
    env.filters["t"] = lambda value: value

    @get("/members/", sync_to_thread=False)
    def members(cooperative_id: int = 0) -> Template:
        query = {"cooperative_id": cooperative_id}
        return Template(
            template_name="page.html",
            context={
                "found": found,
                "can_approve": True,
                "status_names": CEILING_STATUS,
                "post_names": CEILING_POSTS,
                "page_link": lambda n: "/members/?" + urlencode({**query, "page": n}),
            },
            media_type="text/html",
        )

    @get("/healthz", sync_to_thread=False)
    def healthz() -> str:
        return "ok"

    return Litestar(
        route_handlers=[members, healthz],
        signature_namespace={"Template": Template},
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(env)),
    )


def serve_ceiling(args) -> None:
    import uvicorn

    app = ceiling_app(args.db, args.cooperative_id)
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, workers=1, access_log=False, log_level="warning"
    )


# --- helpers ------------------------------------------------------------------------------


def coop_env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.pop("COOP_DATABASE_URL", None)
    env["COOP_DATA_DIR"] = str(data_dir)
    env["PICCOLO_CONF"] = "coop.piccolo_conf"
    return env


def member_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path) as connection:
            return connection.execute("SELECT count(*) FROM member").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0


def prepare_data(args) -> Path:
    if args.data_dir:
        data_dir = Path(args.data_dir).resolve()
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="coop-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    have = member_count(data_dir / "coop.sqlite3")
    if have >= args.members:
        log(f"Reusing {data_dir}: {have:,} members.")
        return data_dir
    wanted = args.members - have if have else args.members
    log(f"Generating {wanted:,} members into {data_dir} (coop demo --members {wanted}) ...")
    started = time.perf_counter()
    demo = subprocess.run(
        [coop_command(), "demo", "--members", str(wanted)],
        env=coop_env(data_dir),
        cwd=data_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if demo.returncode != 0:
        sys.exit(
            f"`coop demo --members {wanted}` failed ({demo.returncode}):\n{demo.stderr[-3000:]}\n"
            f"The half-made data folder is {data_dir}; remove it, or pass --data-dir with a "
            "folder that already holds the members."
        )
    log(
        f"  done in {time.perf_counter() - started:.0f} s: "
        f"{member_count(data_dir / 'coop.sqlite3'):,} members."
    )
    return data_dir


def wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{url}: server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not answer /healthz within {START_TIMEOUT:.0f} s:\n{log_path.read_text()}")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a whole process (all its threads, finished ones too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def db_facts(db_path: Path) -> dict:
    with sqlite3.connect(db_path) as connection:
        row = connection.execute(
            "SELECT id, federation FROM cooperative WHERE name = ?", (COOPERATIVE,)
        ).fetchone()
        if row is None:
            sys.exit(f"No cooperative {COOPERATIVE} in {db_path}: not demo data?")
        cooperative_id, federation_id = row
        in_cooperative = connection.execute(
            "SELECT count(*) FROM member WHERE cooperative = ?", (cooperative_id,)
        ).fetchone()[0]
        in_federation = connection.execute(
            "SELECT count(*) FROM member WHERE federation = ?", (federation_id,)
        ).fetchone()[0]
    return dict(
        cooperative_id=cooperative_id,
        federation_id=federation_id,
        in_cooperative=in_cooperative,
        in_federation=in_federation,
    )


def initials_matches(db_path: Path, federation_id: int, term: str) -> int:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "SELECT count(DISTINCT k.member) FROM member_search_key k"
            " JOIN member m ON m.id = k.member WHERE k.key >= ? AND k.key < ? AND m.federation = ?",
            (term, term + "\uffff", federation_id),
        ).fetchone()[0]


def most_common_initials(db_path: Path, federation_id: int) -> str:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "SELECT k.key FROM member_search_key k JOIN member m ON m.id = k.member"
            " WHERE length(k.key) = 2 AND k.key GLOB '[a-z][a-z]' AND m.federation = ?"
            " GROUP BY k.key ORDER BY count(*) DESC LIMIT 1",
            (federation_id,),
        ).fetchone()[0]


# --- signing in ---------------------------------------------------------------------------


def sign_in(base_url: str) -> str:
    """The Cookie header of a demo-federation session."""
    import httpx

    with httpx.Client(base_url=base_url, headers={"Accept-Language": "zh-CN"}) as client:
        form = client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        if token is None:
            sys.exit("No _csrf_token in the sign-in form.")
        answer = client.post(
            "/login",
            data={"username": USERNAME, "password": PASSWORD, "_csrf_token": token.group(1)},
        )
        if answer.status_code not in (302, 303) or "coop_session" not in client.cookies:
            sys.exit(f"Sign-in failed: {answer.status_code}\n{answer.text[:500]}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def check_page(url: str, headers: dict) -> tuple[int, int, int]:
    """(status, rows shown, body bytes) of one request."""
    import httpx

    response = httpx.get(url, headers=headers, follow_redirects=False, timeout=30)
    return response.status_code, len(ROW_LINK.findall(response.text)), len(response.content)


# --- load generation ----------------------------------------------------------------------

WRK_LUA = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_s\": %.6f, \"rps\": %.3f, " ..
    "\"p50_ms\": %.3f, \"p95_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, " ..
    "\"mean_ms\": %.3f, \"non2xx\": %d, \"socket_errors\": %d, \"timeouts\": %d}\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    bad, errors.connect + errors.read + errors.write, errors.timeout))
end
"""


def ensure_wrk(allow_install: bool) -> str | None:
    found = shutil.which("wrk")
    if found or not allow_install:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: apt-get install -y wrk ...")
        result = subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True, text=True)
        if result.returncode != 0:
            log(f"  apt-get failed ({result.returncode}); using the httpx fallback.")
    return shutil.which("wrk")


def run_wrk(wrk: str, lua: Path, url: str, headers: dict, args, duration: float) -> dict:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "-s",
        str(lua),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command + [url], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        sys.exit(f"wrk gave no figures:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    figures["client_cpu_s"] = (after.ru_utime + after.ru_stime) - (
        before.ru_utime + before.ru_stime
    )
    return figures


async def _httpx_load(url: str, headers: dict, connections: int, duration: float) -> dict:
    import httpx

    latencies: list[float] = []
    non2xx = errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def worker():
            nonlocal non2xx, errors
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                if not 200 <= response.status_code <= 299:
                    non2xx += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
            if latencies
            else 0
        )

    return dict(
        requests=len(latencies),
        duration_s=elapsed,
        rps=len(latencies) / elapsed,
        p50_ms=pct(50),
        p95_ms=pct(95),
        p99_ms=pct(99),
        max_ms=pct(100),
        mean_ms=statistics.fmean(latencies) * 1000 if latencies else 0,
        non2xx=non2xx,
        socket_errors=errors,
        timeouts=0,
    )


def run_httpx(url: str, headers: dict, args, duration: float) -> dict:
    started_cpu = time.process_time()
    figures = asyncio.run(_httpx_load(url, headers, args.connections, duration))
    figures["client_cpu_s"] = time.process_time() - started_cpu
    return figures


# --- direct timings: the SQL alone, through Piccolo, and one traced request ---------------


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _direct_timings(data_dir: Path, cooperative_id: int, term: str, repeat: int) -> dict:
    os.environ.update(
        {k: v for k, v in coop_env(data_dir).items() if k.startswith(("COOP_", "PICCOLO"))}
    )
    os.environ.pop("COOP_DATABASE_URL", None)
    import aiosqlite
    import jinja2
    from litestar.testing import AsyncTestClient
    from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction
    from piccolo.query.base import Query

    from coop import cli, db
    from coop.accounts.domain import viewer_for
    from coop.accounts.tables import User
    from coop.app import create_app
    from coop.members import domain

    settings = cli._setup()
    captured: list[dict] = []
    connections_opened = 0
    original_run = SQLiteEngine.run_querystring
    original_enter, original_exit = SQLiteTransaction.__aenter__, SQLiteTransaction.__aexit__
    original_connect = aiosqlite.connect
    original_query_run, original_render = Query._run, jinja2.Template.render
    spent = {"piccolo": 0.0, "render": 0.0}

    async def query_run(self, *args, **kwargs):
        before_sql = sum(q["s"] for q in captured)
        started = time.perf_counter()
        try:
            return await original_query_run(self, *args, **kwargs)
        finally:
            in_sql = sum(q["s"] for q in captured) - before_sql
            spent["piccolo"] += time.perf_counter() - started - in_sql

    def render(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original_render(self, *args, **kwargs)
        finally:
            spent["render"] += time.perf_counter() - started

    async def run_querystring(self, querystring, in_pool=False):
        sql, params = querystring.compile_string(engine_type=self.engine_type)
        started = time.perf_counter()
        try:
            return await original_run(self, querystring, in_pool)
        finally:
            captured.append(dict(sql=sql, params=list(params), s=time.perf_counter() - started))

    async def enter(self):
        started = time.perf_counter()
        try:
            return await original_enter(self)
        finally:
            captured.append(dict(sql="BEGIN", params=[], s=time.perf_counter() - started))

    async def exit(self, *exc):
        started = time.perf_counter()
        try:
            return await original_exit(self, *exc)
        finally:
            captured.append(dict(sql="COMMIT", params=[], s=time.perf_counter() - started))

    def connect(*a, **kw):
        nonlocal connections_opened
        connections_opened += 1
        return original_connect(*a, **kw)

    original_fetch, original_read = db.fetch, db.read

    def timed(original):  # the hot reads run ready SQL, not through Piccolo
        async def run(sql, args):
            started = time.perf_counter()
            try:
                return await original(sql, args)
            finally:
                captured.append(dict(sql=sql, params=list(args), s=time.perf_counter() - started))

        return run

    db.fetch, db.read = timed(original_fetch), timed(original_read)
    SQLiteEngine.run_querystring = run_querystring
    SQLiteTransaction.__aenter__, SQLiteTransaction.__aexit__ = enter, exit
    aiosqlite.connect = connect
    Query._run, jinja2.Template.render = query_run, render
    try:
        user = await User.select(User.id).where(User.username == USERNAME).first().run()
        viewer = await viewer_for(user["id"])
        results: dict = {}
        plain = sqlite3.connect(settings.sqlite_path)
        for name, where in (
            ("list", domain.MemberFilter(cooperative_id=cooperative_id)),
            ("search", domain.MemberFilter(q=term)),
        ):
            captured.clear()
            page = await domain.search(viewer, where)
            sql, params = captured[-1]["sql"], captured[-1]["params"]
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                await domain.search(viewer, where)
                timings.append(time.perf_counter() - started)
            raw = []
            for _ in range(repeat):
                started = time.perf_counter()
                plain.execute(sql, params).fetchall()
                raw.append(time.perf_counter() - started)
            plan = [r[-1] for r in plain.execute("EXPLAIN QUERY PLAN " + sql, params)]
            results[name] = dict(
                rows=len(page.rows),
                sql=sql,
                params=params,
                plan=plan,
                sqlite3_ms=_median_ms(raw),
                piccolo_ms=_median_ms(timings),
            )
        plain.close()
        trivial = []
        for _ in range(repeat):
            started = time.perf_counter()
            await db.engine()._run_in_new_connection("SELECT 1")
            trivial.append(time.perf_counter() - started)
        results["connection_roundtrip_ms"] = _median_ms(trivial)

        # One request of each kind through the whole app, in process, one at a time.
        traces = {}
        async with AsyncTestClient(app=create_app(settings)) as client:
            form = await client.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
            await client.post(
                "/login",
                data={"username": USERNAME, "password": PASSWORD, "_csrf_token": token},
            )
            for name, path, headers in request_kinds(cooperative_id, term):
                if name == "ceiling":
                    continue
                await client.get(path, headers=headers)  # warm
                totals, db_times, queries, opened = [], [], [], []
                piccolo_times, render_times = [], []
                for _ in range(repeat):
                    captured.clear()
                    connections_opened = 0
                    spent.update(piccolo=0.0, render=0.0)
                    started = time.perf_counter()
                    response = await client.get(path, headers=headers)
                    totals.append(time.perf_counter() - started)
                    db_times.append(sum(q["s"] for q in captured))
                    piccolo_times.append(spent["piccolo"])
                    render_times.append(spent["render"])
                    queries.append(list(captured))
                    opened.append(connections_opened)
                    assert response.status_code == 200, response.status_code
                last = queries[-1]
                traces[name] = dict(
                    total_ms=_median_ms(totals),
                    db_ms=_median_ms(db_times),
                    piccolo_ms=_median_ms(piccolo_times),
                    render_ms=_median_ms(render_times),
                    statements=len(last),
                    connections=statistics.median(opened),
                    queries=[
                        dict(ms=q["s"] * 1000, sql=" ".join(q["sql"].split())[:150]) for q in last
                    ],
                )
        results["traces"] = traces
        return results
    finally:
        SQLiteEngine.run_querystring = original_run
        db.fetch, db.read = original_fetch, original_read
        SQLiteTransaction.__aenter__, SQLiteTransaction.__aexit__ = original_enter, original_exit
        aiosqlite.connect = original_connect
        Query._run, jinja2.Template.render = original_query_run, original_render


def request_kinds(cooperative_id: int, term: str) -> list[tuple[str, str, dict]]:
    partial = {"HX-Request": "true", "HX-Target": "div#results"}
    return [
        ("list", f"/members/?cooperative_id={cooperative_id}", {}),
        ("list-partial", f"/members/?cooperative_id={cooperative_id}", partial),
        ("search-partial", f"/members/?q={term}", partial),
        ("search", f"/members/?q={term}", {}),
        ("ceiling", f"/members/?cooperative_id={cooperative_id}", {}),
    ]


def direct_timings(data_dir: Path, cooperative_id: int, term: str, repeat: int) -> dict:
    """In a child process, so this process imports no app code before the load runs."""
    script = textwrap.dedent(f"""
        import asyncio, json, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import bench_members as b
        from pathlib import Path
        print("BENCH_JSON " + json.dumps(asyncio.run(
            b._direct_timings(Path({str(data_dir)!r}), {cooperative_id}, {term!r}, {repeat}))))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=data_dir,
        env=coop_env(data_dir),
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        log(f"Direct timings failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
        return {}
    return json.loads(line.removeprefix("BENCH_JSON "))


# --- profiling ----------------------------------------------------------------------------

# Where a sample of the event-loop thread goes: the deepest frame that matches decides.
CATEGORIES = [
    ("Jinja template rendering", r"\(jinja2/|\(markupsafe/|\.html:\d+\)$"),
    ("i18n (gettext, Msg, negotiate)", r"\(coop/i18n\.py|\(babel/|\(gettext\.py"),
    (
        "aiosqlite / thread hand-off for queries",
        r"\(aiosqlite/|\(concurrent/futures/|\(threading\.py",
    ),
    ("Piccolo: building SQL, converting rows", r"\(piccolo/"),
    ("session middleware + store", r"\(litestar/middleware/session/|\(coop/accounts/store\.py"),
    ("CSRF middleware", r"\(litestar/middleware/csrf\.py"),
    ("gzip compression middleware", r"\(litestar/middleware/compression/|\(gzip\.py|\(zlib"),
    ("Litestar routing, DI, responses, other middleware", r"\(litestar/|\(msgspec/"),
    ("uvicorn + h11 HTTP protocol", r"\(uvicorn/|\(h11/"),
    ("app code (coop/)", r"\(coop/"),
    ("asyncio event loop", r"\(asyncio/|\(selectors\.py"),
]
# Inclusive: the share of event-loop samples inside these (they do not wrap each other much).
INCLUSIVE = [
    ("session load (load_from_connection: SELECT)", r"load_from_connection \("),
    ("session save (store_in_message: BEGIN IMMEDIATE/UPDATE/COMMIT)", r"store_in_message \("),
    ("viewer + scope (load_viewer: user, user_scope)", r"^load_viewer \(coop/"),
    ("filter choices (_places: cooperatives, villages)", r"^_places \(coop/members/"),
    ("member search (queries.search)", r"^search \(coop/members/queries\.py"),
    ("template rendering (Template.render)", r"^Template\.render \(jinja2/"),
    ("Piccolo run_querystring (all queries, loop side)", r"run_querystring \(piccolo/"),
    ("locale middleware", r"^locale_middleware\.<locals>\.middleware \(coop/app\.py:7\d\)$"),
]
IDLE_LEAF = re.compile(
    r"^EpollSelector\.select \(selectors\.py|^BaseEventLoop\._run_once \(asyncio"
)


def profile(pid: int, seconds: int, out_raw: Path) -> subprocess.Popen | None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        return None
    command = [
        py_spy,
        "record",
        "--pid",
        str(pid),
        "-d",
        str(seconds),
        "-r",
        "100",
        "--threads",
        "-f",
        "raw",
        "-o",
        str(out_raw),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _frame(frame: str) -> str:
    """'func (/abs/path/site-packages/pkg/mod.py:12)' -> 'func (pkg/mod.py:12)'."""
    for marker in ("site-packages/", str(REPO) + "/", "/lib/python3.11/"):
        if marker in frame:
            name, _, rest = frame.partition(" (")
            return f"{name} ({rest.split(marker, 1)[1]}"
    return frame


def _aiosqlite_wait_line() -> str:
    """The line of aiosqlite's worker loop that waits for work (`tx.get()`)."""
    try:
        import inspect

        import aiosqlite.core as core

        lines, first = inspect.getsourcelines(core._connection_worker_thread)
        for offset, line in enumerate(lines):
            if ".get()" in line:
                return f"_connection_worker_thread (aiosqlite/core.py:{first + offset})"
    except Exception:
        pass
    return "_connection_worker_thread (aiosqlite/core.py:59)"


def analyse_profile(raw: Path, seconds: float, rate: int = 100) -> dict:
    stacks: list[tuple[str, list[str], int]] = []
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        head, *frames = stack.split(";")
        stacks.append((head, [_frame(f) for f in frames], int(count)))
    wait_line = _aiosqlite_wait_line()
    main_busy: list[tuple[list[str], int]] = []
    main_idle = 0
    db = Counter()  # other threads: what they were doing
    for head, frames, count in stacks:
        if "MainThread" in head:
            if frames and IDLE_LEAF.search(frames[-1]):
                main_idle += count
            else:
                main_busy.append((frames, count))
            continue
        leaf = frames[-1] if frames else ""
        pool = any("concurrent/futures/thread.py" in f for f in frames)
        kind = (
            "DB pool thread"
            if pool
            else "aiosqlite thread"
            if any("aiosqlite/" in f for f in frames)
            else "other thread"
        )
        waiting = leaf == wait_line or leaf.startswith(
            ("_worker (concurrent/futures/thread.py", "Condition.wait", "Thread.start")
        )
        db[
            (
                kind,
                "waiting for work / the GIL" if waiting else "in SQLite (query, COMMIT, busy wait)",
            )
        ] += count
    busy = sum(c for _, c in main_busy) or 1
    categories = Counter()
    compiled = [(label, re.compile(pattern)) for label, pattern in CATEGORIES]
    for frames, count in main_busy:
        label = "other"
        for frame in reversed(frames):
            hit = next((name for name, regex in compiled if regex.search(frame)), None)
            if hit:
                label = hit
                break
        categories[label] += count
    inclusive = []
    for label, pattern in INCLUSIVE:
        regex = re.compile(pattern)
        hits = sum(c for frames, c in main_busy if any(regex.search(f) for f in frames))
        inclusive.append((label, 100 * hits / busy))
    leaves = Counter()
    for frames, count in main_busy:
        leaves[frames[-1] if frames else "?"] += count
    return dict(
        seconds=seconds,
        loop_busy_pct=100 * busy / (seconds * rate),
        loop_idle_pct=100 * main_idle / (seconds * rate),
        categories=[(label, 100 * c / busy) for label, c in categories.most_common()],
        inclusive=inclusive,
        threads=[
            (f"{kind}: {what}", c / (seconds * rate)) for (kind, what), c in sorted(db.items())
        ],
        top_self=[(f, 100 * c / busy) for f, c in leaves.most_common(12)],
    )


def print_profile(name: str, p: dict) -> None:
    log(
        f"\nProfile under load: {name} (py-spy, 100 Hz, {p['seconds']:g} s; "
        f"raw stacks in {p['file']})"
    )
    log(
        f"  event-loop thread busy {p['loop_busy_pct']:.0f}% of the time, idle in epoll "
        f"{p['loop_idle_pct']:.0f}%"
    )
    log("  event-loop CPU by layer (deepest matching frame):")
    for label, share in p["categories"]:
        log(f"    {share:5.1f}%  {label}")
    log("  event-loop CPU inside (inclusive):")
    for label, share in p["inclusive"]:
        log(f"    {share:5.1f}%  {label}")
    log("  other threads (average number of threads in that state):")
    for label, threads in p["threads"]:
        log(f"    {threads:5.2f}  {label}")
    log("  top self time on the event loop:")
    for frame, share in p["top_self"]:
        log(f"    {share:5.1f}%  {frame}")


# --- what-if servers: the app with one change, to size a suggestion ------------------------


def patch_caches(ttl: float = 30.0) -> None:
    """Keep what every request re-reads in process memory for `ttl` seconds.

    The session (keyed by its ID, refreshed on write), the viewer (user and scopes) and
    the list page's filter choices (cooperatives, villages of a scope). What is left
    per request is the member query itself.
    """
    from coop.accounts import guards, store
    from coop.members import controllers

    def cached(function, key):
        memo: dict = {}

        async def wrapper(*args):
            k = key(*args)
            hit = memo.get(k)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            value = await function(*args)
            memo[k] = (time.monotonic() + ttl, value)
            return value

        return wrapper

    guards.viewer_for = cached(guards.viewer_for, lambda user_id, *seen: user_id)
    controllers._places = cached(controllers._places, lambda viewer: viewer.scope)

    sessions: dict[str, tuple[float, bytes]] = {}
    original_get, original_set = store.DatabaseStore.get, store.DatabaseStore.set

    async def get(self, key, renew_for=None):
        hit = sessions.get(self._key(key))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        value = await original_get(self, key, renew_for)
        if value is not None:
            sessions[self._key(key)] = (time.monotonic() + ttl, value)
        return value

    async def set(self, key, value, expires_in=None):
        data = value.encode() if isinstance(value, str) else value
        await original_set(self, key, value, expires_in)
        sessions[self._key(key)] = (time.monotonic() + ttl, data)

    store.DatabaseStore.get, store.DatabaseStore.set = get, set


def serve_app_patched(args) -> None:
    """`coop serve` (same uvicorn settings) with the patches named in --patch."""
    import uvicorn

    from coop import cli

    settings = cli._setup()
    asyncio.run(cli._migrate(settings))
    if "cache" in args.patch:
        patch_caches()
    uvicorn.run(
        "coop.app:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        proxy_headers=True,
        log_level="info",
        access_log=False,
    )


# --- main ---------------------------------------------------------------------------------


def git_state(source: str | None) -> str:
    if source:
        return f"source tree {source} (--source)"
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--short", "--", "coop", "templates", "static"],
            capture_output=True,
            text=True,
        ).stdout.split("\n")
        dirty = [line[3:] for line in dirty if line.strip()]
    except OSError:
        return "unknown revision"
    return f"git {rev}" + (f" + uncommitted changes in {', '.join(dirty)}" if dirty else " (clean)")


class Bench:
    """Servers, sign-in and load runs; every server started here is stopped by close()."""

    def __init__(self, args, data_dir: Path, env: dict):
        self.args, self.data_dir, self.env = args, data_dir, env
        self.servers: list[subprocess.Popen] = []
        self.wrk = None if args.httpx else ensure_wrk(not args.no_install)
        self.lua = Path(tempfile.mkstemp(prefix="coop-bench-", suffix=".lua")[1])
        self.lua.write_text(WRK_LUA)

    def start(
        self, label: str, command: list[str], env: dict, cwd: Path
    ) -> tuple[subprocess.Popen, str]:
        port = free_port()
        log_path = self.data_dir / f"bench-{label}.log"
        with log_path.open("w") as out:
            server = subprocess.Popen(
                command + ["--port", str(port)],
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.servers.append(server)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, server, log_path)
        return server, url

    def start_app(
        self, label: str, data_dir: Path, patches: str = ""
    ) -> tuple[subprocess.Popen, str]:
        env = {**self.env, **coop_env(data_dir)}
        if patches:
            command = [sys.executable, __file__, "--serve-app", "--patch", patches]
        else:
            command = [coop_command(), "serve", "--workers", "1"]
        return self.start(label, command, env, data_dir)

    def load(self, url: str, headers: dict, seconds: float) -> dict:
        if self.wrk:
            return run_wrk(self.wrk, self.lua, url, headers, self.args, seconds)
        return run_httpx(url, headers, self.args, seconds)

    def wait_for_quiet(self) -> float:
        """Wait (up to --quiet-wait s) until other processes leave the CPUs mostly idle."""
        deadline = time.monotonic() + self.args.quiet_wait
        while True:
            before = machine_busy_seconds()
            time.sleep(1)
            busy = (machine_busy_seconds() - before) * 100  # % of one core, over 1 s
            if busy < 25 or time.monotonic() > deadline:
                return busy
            log(
                f"    (the machine is busy: {busy:.0f}% of a core used by other processes; waiting)"
            )

    def measure(self, name: str, url: str, headers: dict, server: subprocess.Popen) -> dict:
        self.wait_for_quiet()
        if self.args.warmup:
            self.load(url, headers, self.args.warmup)
        cpu_before, machine_before = cpu_seconds(server.pid), machine_busy_seconds()
        figures = self.load(url, headers, self.args.duration)
        cpu = cpu_seconds(server.pid) - cpu_before
        machine = machine_busy_seconds() - machine_before
        figures["server_cpu_ms"] = cpu * 1000 / max(1, figures["requests"])
        figures["server_cpu_pct"] = cpu * 100 / figures["duration_s"]
        # Anything else on the machine meanwhile (other users' tests...): disturbs the figures.
        figures["other_cpu_pct"] = max(
            0.0, (machine - cpu - figures["client_cpu_s"]) * 100 / figures["duration_s"]
        )
        log(
            f"  {name:<24} p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
            f"{figures['rps']:7.1f} req/s  non-2xx {figures['non2xx']}  errors "
            f"{figures['socket_errors'] + figures['timeouts']}  server CPU "
            f"{figures['server_cpu_pct']:.0f}% ({figures['server_cpu_ms']:.2f} ms/req), "
            f"client CPU {100 * figures['client_cpu_s'] / figures['duration_s']:.0f}%, "
            f"other processes {figures['other_cpu_pct']:.0f}%"
        )
        return figures

    def profile(self, name: str, url: str, headers: dict, server: subprocess.Popen) -> dict | None:
        seconds = self.args.profile_seconds
        raw = Path(self.args.profile_dir) / f"coop-bench-profile-{name}.txt"
        raw.unlink(missing_ok=True)
        spy = profile(server.pid, seconds, raw)
        if spy is None:
            log("py-spy is not installed (.venv/bin/pip install py-spy): no profile.")
            return None
        time.sleep(0.5)
        self.load(url, headers, seconds + 2)
        _, err = spy.communicate(timeout=120)
        if spy.returncode != 0 or not raw.exists():
            log(f"py-spy failed ({spy.returncode}): {err.strip()[-500:]}")
            return None
        result = analyse_profile(raw, seconds)
        result["file"] = str(raw)
        print_profile(name, result)
        return result

    def stop(self, server: subprocess.Popen) -> None:
        stop(server)

    def close(self) -> None:
        for server in self.servers:
            stop(server)
        self.lua.unlink(missing_ok=True)


def fmt_row(name: str, r: dict, ceiling_rps: float | None) -> str:
    ratio = f"{r['rps'] / ceiling_rps:.2f}" if ceiling_rps else "-"
    errors = r["non2xx"] + r["socket_errors"] + r["timeouts"]
    return (
        f"| {name:<44} | {r['p50_ms']:8.1f} | {r['p95_ms']:8.1f} | {r['rps']:7.1f} | "
        f"{errors:6d} | {r['requests']:6d} | {r.get('server_cpu_ms', 0):10.2f} | {ratio:>5} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="data folder to use (reused if it has enough members)")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=15, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--threads", type=int, default=1, help="wrk threads (1 leaves the CPU to the server)"
    )
    parser.add_argument("--q", default="wl", help="pinyin initials to search for (王丽, 吴玲 …)")
    parser.add_argument("--repeat", type=int, default=30, help="runs per direct timing")
    parser.add_argument(
        "--profile-seconds",
        type=int,
        default=10,
        help="py-spy under load, per profile; 0: no profiles",
    )
    parser.add_argument("--profile-dir", default="/tmp", help="where py-spy's raw stacks go")
    parser.add_argument("--only", nargs="*", help="request kinds to load (default: all)")
    parser.add_argument(
        "--no-what-if",
        action="store_true",
        help="skip the what-if run (session, user and filter choices cached in process)",
    )
    parser.add_argument(
        "--source",
        help="run the app from this source tree (PYTHONPATH), "
        "e.g. one made by `git archive HEAD | tar -x -C DIR`",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="before each run, wait up to this many seconds for an idle machine",
    )
    parser.add_argument("--json-out", help="write every figure to this JSON file")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument(
        "--httpx", action="store_true", help="use the asyncio httpx client even if wrk is there"
    )
    parser.add_argument("--serve-ceiling", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-app", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--patch", default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--cooperative-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_ceiling:
        return serve_ceiling(args)
    if args.serve_app:
        return serve_app_patched(args)

    env = dict(os.environ)
    if args.source:
        env["PYTHONPATH"] = str(Path(args.source).resolve())
        os.environ["PYTHONPATH"] = env["PYTHONPATH"]  # for the demo and direct-timing children
    started = time.time()
    log(
        f"Coop Union member list benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {git_state(args.source)}"
    )
    data_dir = prepare_data(args)
    db_path = data_dir / "coop.sqlite3"
    facts = db_facts(db_path)
    cooperative_id = facts["cooperative_id"]
    log(
        f"{member_count(db_path):,} members; {facts['in_federation']:,} in the federation, "
        f"{facts['in_cooperative']:,} in {COOPERATIVE} (id {cooperative_id})."
    )
    term = args.q
    matches = initials_matches(db_path, facts["federation_id"], term)
    log(f"Search '{term}': {matches:,} members in the federation match.")
    if matches <= PAGE_ROWS:
        term = most_common_initials(db_path, facts["federation_id"])
        matches = initials_matches(db_path, facts["federation_id"], term)
        log(
            f"  too few for a full page; searching for the most common initials '{term}' "
            f"instead ({matches:,} members)."
        )

    bench = Bench(args, data_dir, env)
    generator = (
        "wrk" if bench.wrk else "httpx (FALLBACK: asyncio client, uses much more CPU than wrk)"
    )
    log(
        f"Load generator: {generator}; {args.connections} connections, "
        f"{args.duration:g} s each after {args.warmup:g} s warm-up."
    )

    log(f"\nDirect timings (warm, one at a time, median of {args.repeat}) ...")
    direct = direct_timings(data_dir, cooperative_id, term, args.repeat)
    if direct:
        for name in ("list", "search"):
            d = direct[name]
            log(
                f"  {name:<7} SQL alone (sqlite3): {d['sqlite3_ms']:6.2f} ms | via Piccolo "
                f"(domain.search): {d['piccolo_ms']:6.2f} ms | {d['rows']} rows"
            )
            log(f"          plan: {' / '.join(d['plan'])}")
        log(
            f"  one new aiosqlite connection + PRAGMA + SELECT 1: "
            f"{direct['connection_roundtrip_ms']:.2f} ms"
        )
        for name, t in direct["traces"].items():
            rest = t["total_ms"] - t["db_ms"] - t["piccolo_ms"] - t["render_ms"]
            log(
                f"  request {name:<15} {t['total_ms']:6.2f} ms = SQL {t['db_ms']:6.2f} ms "
                f"({t['statements']} statements incl. thread hand-off, {t['connections']:.0f} new "
                f"aiosqlite connection) + Piccolo Python {t['piccolo_ms']:5.2f} + Jinja "
                f"{t['render_ms']:5.2f} + the rest {rest:5.2f}"
            )
        log("  statements of one list request:")
        for q in direct["traces"].get("list", {}).get("queries", []):
            log(f"    {q['ms']:6.2f} ms  {q['sql']}")

    results: dict[str, dict] = {}
    profiles: dict[str, dict] = {}
    try:
        app, app_url = bench.start_app("app", data_dir)
        ceiling, ceiling_url = bench.start(
            "ceiling",
            [
                sys.executable,
                __file__,
                "--serve-ceiling",
                "--db",
                str(db_path),
                "--cooperative-id",
                str(cooperative_id),
            ],
            env,
            data_dir,
        )
        cookie = sign_in(app_url)
        log(
            f"\ncoop serve pid {app.pid} on {app_url}; ceiling pid {ceiling.pid} on "
            f"{ceiling_url}; signed in as {USERNAME}."
        )

        kinds = [
            k for k in request_kinds(cooperative_id, term) if not args.only or k[0] in args.only
        ]
        targets = {}
        for name, path, extra in kinds:
            is_ceiling = name == "ceiling"
            url = (ceiling_url if is_ceiling else app_url) + path
            headers = {"Accept-Language": "zh-CN", **extra}
            if not is_ceiling:
                headers["Cookie"] = cookie
            status, rows, size = check_page(url, headers)
            log(
                f"  {name:<15} GET {path} {'(htmx partial) ' if extra else ''}-> {status}, "
                f"{rows} rows, {size:,} bytes"
            )
            if status != 200 or rows != PAGE_ROWS:
                sys.exit(f"{name}: expected 200 with {PAGE_ROWS} rows")
            targets[name] = (url, headers, ceiling if is_ceiling else app)

        log("\nLoad ...")
        order = (["ceiling"] if "ceiling" in targets else []) + [
            n for n in targets if n != "ceiling"
        ]
        for name in order:
            results[name] = bench.measure(name, *targets[name])
        if args.profile_seconds:
            for name in ("list", "search-partial"):
                if name in targets:
                    profiles[name] = bench.profile(name, *targets[name])
        bench.stop(app)

        if not args.no_what_if:
            log("\nWhat-if runs: the same app with one change, same data and load ...")
            for variant, folder, patches in (("caches", data_dir, "cache"),):
                server, url = bench.start_app(variant.replace(" ", "-").lower(), folder, patches)
                variant_cookie = sign_in(url)
                for name in ("list", "search-partial"):
                    if name not in targets:
                        continue
                    _, path, extra = next(k for k in kinds if k[0] == name)
                    headers = {"Accept-Language": "zh-CN", **extra, "Cookie": variant_cookie}
                    results[f"{name} [{variant}]"] = bench.measure(
                        f"{name} [{variant}]", url + path, headers, server
                    )
                if args.profile_seconds:
                    path = next(k[1] for k in kinds if k[0] == "list")
                    headers = {"Accept-Language": "zh-CN", "Cookie": variant_cookie}
                    profiles[f"list [{variant}]"] = bench.profile(
                        "list-whatif-caches",
                        url + path,
                        headers,
                        server,
                    )
                bench.stop(server)
        if "ceiling" in targets:
            log("\nThe ceiling again, to see whether the machine was steady ...")
            results["ceiling (again, at the end)"] = bench.measure(
                "ceiling (again)", *targets["ceiling"]
            )
    finally:
        bench.close()

    ceilings = [r["rps"] for name, r in results.items() if name.startswith("ceiling")]
    ceiling_rps = statistics.fmean(ceilings) if ceilings else None
    if len(ceilings) > 1:
        log(
            f"\nCeiling: {' and '.join(f'{c:.0f}' for c in ceilings)} req/s; ratios below are "
            f"to their mean, {ceiling_rps:.0f} req/s."
        )
    log(
        f"\nResults ({args.connections} connections, {args.duration:g} s each, {generator}; "
        f"{time.time() - started:.0f} s in all):\n"
    )
    log(
        f"| {'request':<44} | p50 ms   | p95 ms   | req/s   | non2xx | total  "
        "| CPU ms/req | ratio |"
    )
    log(f"|{'-' * 46}|----------|----------|---------|--------|--------|------------|-------|")
    for name, figures in results.items():
        log(fmt_row(name, figures, ceiling_rps))
    if ceiling_rps:
        log("")
        for name in results:
            if not name.startswith("ceiling"):
                ratio = results[name]["rps"] / ceiling_rps
                log(
                    f"{name}: {ratio:.3f} of the ceiling "
                    f"({'meets' if ratio >= 0.6 else 'misses'} the 0.6 target)"
                )
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(
                dict(
                    date=time.strftime("%Y-%m-%d %H:%M %Z"),
                    cpus=os.cpu_count(),
                    revision=git_state(args.source),
                    generator=generator,
                    term=term,
                    cooperative_id=cooperative_id,
                    args=vars(args),
                    direct=direct,
                    results=results,
                    profiles=profiles,
                ),
                indent=1,
                ensure_ascii=False,
            )
        )
        log(f"\nFigures written to {args.json_out}.")
    if args.data_dir is None:
        log(f"\nData kept in {data_dir}; pass --data-dir {data_dir} to reuse it.")


if __name__ == "__main__":
    main()
