"""Static files under names carrying a hash of their content, cached for a year.

`asset_url("coop.css")` gives `/static/coop.<hash>.css`: a deploy that changes a file
changes its name, so a phone never has to ask whether its copy is current. The plain
name is still served (revalidated each time) for links from before a deploy.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

STATIC_DIR = Path(__file__).parent.parent / "static"
FOREVER = "public, max-age=31536000, immutable"


@functools.cache
def manifest() -> dict[str, str]:
    """Plain file name -> hashed file name, for every file in static/."""
    names = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            names[path.name] = f"{path.stem}.{digest}{path.suffix}"
    return names


def asset_url(name: str) -> str:
    return f"/static/{manifest()[name]}"


@functools.cache
def _by_hashed_name() -> dict[str, str]:
    return {hashed: plain for plain, hashed in manifest().items()}


@get("/static/{name:str}", name="static", include_in_schema=False, sync_to_thread=False)
def static_file(name: FromPath[str]) -> File:
    if plain := _by_hashed_name().get(name):
        cache = FOREVER
    elif name in manifest():
        plain, cache = name, "no-cache"
    else:
        raise NotFoundException()
    return File(
        path=STATIC_DIR / plain,
        filename=plain,  # gives the media type
        content_disposition_type="inline",
        headers={"Cache-Control": cache},
    )
