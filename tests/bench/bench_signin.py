#!/usr/bin/env python
"""Sign-in under load: N parallel sign-ins (each GET /login, then POST /login with the demo
password), while /healthz is asked every 50 ms. Prints the total time, how the sign-ins
ended (303 signed in, 422 refused, 429/503 turned away) and /healthz's worst latency.

A script, not a pytest test. Run it from the repository root:

    .venv/bin/python tests/bench/bench_signin.py --data-dir /tmp/coop-bench-signin

It runs `coop demo` in the data folder, then `coop serve` (1 worker) on a free loopback
port with COOP_PUBLIC_RATE_LIMIT=0 (the per-address budget would turn most of the burst
away, all of it coming from 127.0.0.1), and stops it on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import httpx
from benchlib import coop_command, free_port, log

START_TIMEOUT = 60.0


def serve(data_dir: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, COOP_DATA_DIR=str(data_dir), COOP_PUBLIC_RATE_LIMIT="0")
    env.pop("COOP_DATABASE_URL", None)
    subprocess.run([coop_command(), "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    out = (data_dir / "bench-signin-server.log").open("w")
    process = subprocess.Popen(
        [coop_command(), "serve", "--workers", "1", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("coop serve did not start")


async def sign_in(url: str, username: str) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        page = await client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        response = await client.post(
            "/login",
            data={"username": username, "password": "demo-pass", "_csrf_token": token},
        )
        return response.status_code if response.status_code != 303 else 303


async def run(url: str, count: int, username: str) -> None:
    latencies: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            while not done.is_set():
                started = time.perf_counter()
                await client.get("/healthz")
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.05)

    prober = asyncio.create_task(probe())
    started = time.perf_counter()
    statuses = await asyncio.gather(*(sign_in(url, username) for _ in range(count)))
    total = time.perf_counter() - started
    done.set()
    await prober
    log(f"{count} parallel sign-ins as {username}: {total:.2f} s in all")
    log(f"  answers: {dict(sorted(Counter(statuses).items()))}")
    log(
        f"  /healthz: {len(latencies)} probes, max {max(latencies) * 1000:.0f} ms, "
        f"median {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--username", default="demo-admin")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    process, url = serve(args.data_dir.resolve())
    try:
        asyncio.run(run(url, args.count, args.username))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
