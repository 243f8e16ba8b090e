"""Files served at the web root that an admin uploads: WeChat's domain check (`MP_verify_….txt`).

They live in the data folder (`COOP_DATA_DIR/site-files/`), so every worker serves a new one
at once, without a restart. Only the exact name WeChat gives, 1 KB at most, plain ASCII text.
"""

from __future__ import annotations

import re
from pathlib import Path

from coop.access import Viewer
from coop.audit import domain as audit
from coop.validation import Msg, ValidationError

NAME = re.compile(r"MP_verify_[A-Za-z0-9]{1,64}\.txt", re.ASCII)
MAX_BYTES = 1024
FOLDER = "site-files"


def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def listed(data_dir: Path) -> list[str]:
    where = folder(data_dir)
    return (
        sorted(p.name for p in where.iterdir() if NAME.fullmatch(p.name)) if where.is_dir() else []
    )


def read(data_dir: Path, name: str) -> bytes | None:
    """The file's content, or None when there is no such file (or the name is not one)."""
    if not NAME.fullmatch(name):
        return None
    path = folder(data_dir) / name
    return path.read_bytes() if path.is_file() else None


def check(name: str, content: bytes) -> None:
    if not NAME.fullmatch(name):
        raise ValidationError(
            {"file": Msg("The file name must be like MP_verify_abc123.txt, as WeChat gives it.")}
        )
    if not content or len(content) > MAX_BYTES:
        raise ValidationError({"file": Msg("The file must hold text of 1 KB at most.")})
    if not all(32 <= byte < 127 or byte in (9, 10, 13) for byte in content):
        raise ValidationError({"file": Msg("The file must hold text of 1 KB at most.")})


async def upload(viewer: Viewer, data_dir: Path, name: str, content: bytes) -> None:
    check(name, content)
    folder(data_dir).mkdir(parents=True, exist_ok=True)
    (folder(data_dir) / name).write_bytes(content)
    await audit.record(viewer.actor, "upload", "site_file", name)


async def delete(viewer: Viewer, data_dir: Path, name: str) -> None:
    if name not in listed(data_dir):
        return
    (folder(data_dir) / name).unlink()
    await audit.record(viewer.actor, "delete", "site_file", name)
