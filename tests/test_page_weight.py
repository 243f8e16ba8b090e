"""Light pages for phones on 3G: every organizer page's first HTML, the scripts and styles.

The crawl signs in as each demo organizer and follows every link it finds from the
home page (one page per route shape), so a new page is weighed without being listed.
"""

import gzip
import re
from urllib.parse import urljoin, urlsplit

from coop import demo
from coop.assets import STATIC_DIR, manifest
from tests.factories import csrf_token

HTML_LIMIT = 14 * 1024
SCRIPT_LIMIT = 30 * 1024
STYLE_LIMIT = 10 * 1024
LINK = re.compile(r'href="([^"#]+)"')
SKIP = ("/static/", "/api/", "/logout", "/audit.csv", "/results.xlsx", "/sign-in-sheet.xlsx")


def _gzipped(data: bytes) -> int:
    return len(gzip.compress(data))


def _shape(path: str) -> str:
    """A route's shape: the same page for another record weighs about the same."""
    return re.sub(r"\d+", "#", urlsplit(path).path)


async def _crawl(client, limit: int = 200) -> dict[str, int]:
    sizes, seen, queue = {}, set(), ["/"]
    while queue and len(sizes) < limit:
        path = queue.pop(0)
        answer = await client.get(path)
        if answer.status_code != 200 or not answer.headers["content-type"].startswith("text/html"):
            continue
        sizes[path] = _gzipped(answer.content)
        for link in LINK.findall(answer.text):
            target = urljoin(path, link.replace("&amp;", "&"))
            if urlsplit(target).netloc or any(part in target for part in SKIP):
                continue
            if _shape(target) not in seen:
                seen.add(_shape(target))
                queue.append(target)
    return sizes


async def _sign_in(client, username: str) -> None:
    page = await client.get("/login")
    await client.post(
        "/login",
        data={"username": username, "password": "demo-pass", "_csrf_token": csrf_token(page)},
    )


async def test_every_organizer_page_is_under_14_kb_gzipped_with_demo_data(client):
    await demo.load()
    weighed = {}
    for username in ("demo-admin", "demo-federation", "demo-village", "demo-judge"):
        client.cookies.clear()
        await _sign_in(client, username)
        sizes = await _crawl(client)
        assert len(sizes) > 3, f"{username} reached only {list(sizes)}"
        weighed.update({f"{username} {path}": size for path, size in sizes.items()})
    assert {page: size for page, size in weighed.items() if size > HTML_LIMIT} == {}


def test_scripts_under_30_kb_and_styles_under_10_kb_gzipped_without_web_fonts():
    files = {path.name: path.read_bytes() for path in STATIC_DIR.iterdir() if path.is_file()}
    scripts = sum(_gzipped(data) for name, data in files.items() if name.endswith(".js"))
    styles = sum(_gzipped(data) for name, data in files.items() if name.endswith(".css"))
    assert scripts <= SCRIPT_LIMIT and styles <= STYLE_LIMIT, (scripts, styles)
    fonts = [n for n in files if n.endswith((".woff", ".woff2", ".ttf", ".otf"))]
    assert (fonts, b"@font-face" in files["coop.css"]) == ([], False)


async def test_static_files_carry_a_content_hash_and_are_cached_for_a_year(client):
    home = await client.get("/login")
    hashed = manifest()["field.js"]
    assert f'src="/static/{hashed}"' not in home.text  # scripts for signed-in users only
    assert f'href="/static/{manifest()["coop.css"]}"' in home.text
    answer = await client.get(f"/static/{hashed}")
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.content == (STATIC_DIR / "field.js").read_bytes()
    plain = await client.get("/static/field.js")
    assert plain.headers["cache-control"] == "no-cache"
    assert (await client.get("/static/field.0000000000.js")).status_code == 404


async def test_html_is_sent_compressed(client):
    answer = await client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
