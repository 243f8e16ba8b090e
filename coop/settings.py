"""One settings object, read from COOP_* environment variables."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SECRETS_FILE = "secrets.json"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str = ""
    secure_cookies: bool = False
    debug: bool = False
    session_max_age: int = 12 * 3600
    # Public pages: at most this many requests per client address per window (0: no limit).
    public_rate_limit: int = 60
    public_rate_window: int = 60
    # Proxies whose X-Forwarded-For is believed; anyone else's is ignored.
    trusted_proxies: frozenset[str] = frozenset()
    # A connection pool is bound to one event loop; tests run handlers and
    # fixtures on different loops, so they turn it off.
    db_pool: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if environ is None else environ
        values = dict(
            data_dir=Path(env.get("COOP_DATA_DIR", "instance")).resolve(),
            database_url=env.get("COOP_DATABASE_URL", ""),
            secure_cookies=env.get("COOP_SECURE_COOKIES", "") in ("1", "true", "yes"),
            debug=env.get("COOP_DEBUG", "") in ("1", "true", "yes"),
            public_rate_limit=int(env.get("COOP_PUBLIC_RATE_LIMIT", "60")),
            public_rate_window=int(env.get("COOP_PUBLIC_RATE_WINDOW", "60")),
            trusted_proxies=frozenset(
                p.strip() for p in env.get("COOP_TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
        )
        values.update(overrides)
        return cls(**values)

    @property
    def engine_name(self) -> str:
        return "postgresql" if self.database_url.startswith("postgres") else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///")).resolve()
        return self.data_dir / "coop.sqlite3"

    @property
    def secrets_path(self) -> Path:
        return self.data_dir / SECRETS_FILE

    def private_folder(self, folder: Path | None = None) -> Path:
        """The data folder (or one in it), readable by this account only: it holds the
        database, the keys and uploads. An existing folder of ours is tightened too."""
        folder = folder or self.data_dir
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(PermissionError):  # not ours to change: leave it to its owner
            folder.chmod(0o700)
        return folder

    def secrets(self) -> dict[str, str]:
        """Instance secrets, generated into the data folder on first use.

        A secret added by a later version is generated beside the existing ones;
        existing ones never change (the encryption key guards stored ID numbers).
        """
        from coop.privacy import new_keys

        path = self.secrets_path
        if path.exists():
            values = json.loads(path.read_text())
            if {"secret_key", "encryption_key", "hash_key"} <= values.keys():
                return values
        self.private_folder()
        with open(self.data_dir / ".secrets.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one worker generates, the others read
            values = json.loads(path.read_text()) if path.exists() else {}
            fresh = {"secret_key": secrets.token_urlsafe(48), **new_keys()}
            if fresh.keys() - values.keys():
                values = {**fresh, **values}
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(values))
                tmp.chmod(0o600)
                tmp.replace(path)
        return values
