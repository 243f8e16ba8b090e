"""`coop serve` as an operator runs it: a real uvicorn server in a subprocess, on SQLite."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

RESULTS = "/api/v1/contests/1/results"  # public and rate-limited: 404 until the limit bites


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(data_dir: Path, **env: str):
    """`coop serve` on a fresh data folder; yields its base URL."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    environ.update(COOP_DATA_DIR=str(data_dir), **env)
    server = subprocess.Popen(
        [sys.executable, "-m", "coop.cli", "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def status(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def test_forwarded_for_from_an_untrusted_peer_does_not_escape_the_public_rate_limit(tmp_path):
    with served(tmp_path / "data", COOP_PUBLIC_RATE_LIMIT="3") as base:
        codes = [status(base + RESULTS, {"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(1, 6)]
    assert codes == [404, 404, 404, 429, 429]


def test_forwarded_for_from_a_trusted_proxy_counts_each_client_apart(tmp_path):
    env = {"COOP_PUBLIC_RATE_LIMIT": "3", "COOP_TRUSTED_PROXIES": "127.0.0.1"}
    with served(tmp_path / "data", **env) as base:
        codes = [status(base + RESULTS, {"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(1, 6)]
        same = [status(base + RESULTS, {"X-Forwarded-For": "198.51.100.7"}) for _ in range(4)]
    assert (codes, same) == ([404] * 5, [404, 404, 404, 429])


def test_a_new_data_folder_and_its_database_are_for_this_account_only(tmp_path):
    data = tmp_path / "data"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    subprocess.run(
        [sys.executable, "-m", "coop.cli", "migrate"],
        env={**environ, "COOP_DATA_DIR": str(data)},
        check=True,
        capture_output=True,
    )
    modes = {
        path.name: oct(path.stat().st_mode & 0o777)
        for path in [data, data / "coop.sqlite3", data / "secrets.json"]
    }
    assert modes == {"data": "0o700", "coop.sqlite3": "0o600", "secrets.json": "0o600"}
