"""What the benchmark scripts share: logging, ports, the `coop` command, machine CPU,
a PostgreSQL database to run on. Imported by the scripts in this folder (run as
`.venv/bin/python tests/bench/bench_….py`, so this folder is on the path)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def log(message: str = "") -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def coop_command() -> str:
    return str(Path(sys.executable).with_name("coop"))


def machine_busy_seconds() -> float:
    """CPU seconds all processes have used so far (user, nice, system, irq, softirq, steal)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def ensure_postgres_database(url: str) -> None:
    """Create the database `url` names when it is not there yet."""
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))

    async def run():
        connection = await asyncpg.connect(admin)
        try:
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f'CREATE DATABASE "{name}"')
                log(f"Created PostgreSQL database {name}.")
        finally:
            await connection.close()

    asyncio.run(run())
