"""Accessibility, measured: axe-core on every page a person reaches, at 360×740 in Chinese.

The crawl signs in as each demo role and follows every link from the home page (one page
per route shape, as tests/test_page_weight.py weighs them), then opens the public pages
those pages link to (registration, results) without an account, and the sign-in page.
No page may have a serious or critical violation. `moderate_counts` is what
tests/bench/RESULTS.md records ("Accessibility (axe)").
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from .conftest import VIEWPORT
from .test_sign_in import sign_in

axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

ROLES = ("demo-admin", "demo-federation", "demo-village", "demo-judge")
SKIP = ("/static/", "/api/", "/logout", ".csv", ".xlsx", "/print", "/poster.png")
PUBLIC = re.compile(r"^/(r|results|card|verify|certificates?)/")
LIMIT = 80
_axe = None


def _shape(path: str) -> str:
    return re.sub(r"\d+", "#", urlsplit(path).path)


def _findings(page: Page) -> list[dict]:
    global _axe
    _axe = _axe or axe_playwright.Axe()
    results = _axe.run(page)
    return results.response["violations"]


def _crawl(page: Page, start: str = "/") -> tuple[dict[str, list[dict]], set[str]]:
    """Every page reachable from `start`, one per route shape: its axe violations; and the
    public addresses linked from them."""
    found, public, seen, queue = {}, set(), {_shape(start)}, [start]
    while queue and len(found) < LIMIT:
        path = queue.pop(0)
        response = page.goto(path)
        if response is None or response.status != 200:
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        found[path] = _findings(page)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if parts.netloc != urlsplit(page.url).netloc or any(s in href for s in SKIP):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if PUBLIC.match(parts.path):
                public.add(target)
                continue
            if _shape(target) not in seen:
                seen.add(_shape(target))
                queue.append(urljoin(path, target))
    return found, public


def _serious(found: dict[str, list[dict]]) -> dict[str, list[str]]:
    return {
        path: sorted(
            f"{v['id']} ({v['impact']}): "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
            for v in violations
            if v["impact"] in ("serious", "critical")
        )
        for path, violations in found.items()
        if any(v["impact"] in ("serious", "critical") for v in violations)
    }


def moderate_counts(found: dict[str, list[dict]]) -> Counter:
    return Counter(
        v["id"]
        for violations in found.values()
        for v in violations
        if v["impact"] in ("moderate", "minor")
        for _ in v["nodes"]
    )


def test_no_serious_or_critical_violation_on_any_page_of_any_role_or_the_public(
    browser: Browser, live_server: str
):
    found, public = {}, set()
    for username in ROLES:
        context = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, username, "demo-pass")
        page.wait_for_url(re.compile(r"/$"))
        pages, links = _crawl(page)
        assert len(pages) > 3, f"{username} reached only {list(pages)}"
        found.update({f"{username} {path}": v for path, v in pages.items()})
        public |= links
        context.close()
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    by_shape = {_shape(path): path for path in sorted(public)}
    for path in ["/login", "/nothing-here", *by_shape.values()]:
        page.goto(path)
        found[f"public {path}"] = _findings(page)
    context.close()
    print("axe moderate/minor:", dict(moderate_counts(found)), "pages:", len(found))
    assert any(key.startswith("public /r/") for key in found), sorted(found)
    assert _serious(found) == {}
