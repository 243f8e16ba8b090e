#!/usr/bin/env python
"""Member list and enrollment page on an emulated slow 3G phone: time to first byte, full load.

A script, not a pytest test. From the repository root:

    .venv/bin/python tests/bench/bench_slow3g.py --data-dir /tmp/coop-bench-3g

It loads the demo into the data folder when needed, starts `coop serve` on a free port,
signs in as demo-village in Debian's chromium at 360x740, and emulates slow 3G through
the DevTools protocol (150 ms latency, 1.6 Mbps down, 750 kbps up). Each page is loaded
--runs times cold (a new browser context: empty cache) and warm (the same context again:
scripts and styles from the cache, the HTML fetched anew). Prints the median and the
worst of time to first byte and of full load (the load event), in milliseconds, and the
bytes transferred. Chrome's emulation adds the latency to the response body, so the time
to first byte is taken where the page's HTML has arrived (responseEnd): one round of the
emulated network for pages of a few kilobytes, as on a real phone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

from benchlib import coop_command, free_port
from playwright.sync_api import sync_playwright

PAGES = {"member list": "/members/?cooperative_id=1", "enrollment": "/members/enroll"}
SLOW_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
TIMING = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  const bytes = performance.getEntriesByType("resource").reduce((s, r) => s + r.transferSize, 0);
  return {ttfb: n.responseEnd - n.startTime, load: n.loadEventEnd - n.startTime,
          bytes: n.transferSize + bytes};
}"""


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "COOP_DATA_DIR": str(data_dir)}
    coop = coop_command()
    subprocess.run([coop, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [coop, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("coop serve did not start")


def signed_in_context(browser, url: str):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=url)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "demo-village")
    page.fill("input[name=password]", "demo-pass")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(url + "/")
    return context, page


def measure(page, path: str) -> dict:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.goto(path, wait_until="load")
    return page.evaluate(TIMING)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server, url = start_server(Path(args.data_dir).resolve())
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
            )
            print(
                f"{'page':<12} {'cache':<5} {'TTFB ms (median / worst)':>25} "
                f"{'load ms (median / worst)':>25} {'bytes':>7}"
            )
            for name, path in PAGES.items():
                results = {"cold": [], "warm": []}
                for _ in range(args.runs):
                    context, page = signed_in_context(browser, url)
                    # Signing in fetched the scripts and styles: start this run's cache empty.
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.clearBrowserCache")
                    results["cold"].append(measure(page, path))
                    results["warm"].append(measure(page, path))
                    context.close()
                for cache, runs in results.items():
                    ttfb = [r["ttfb"] for r in runs]
                    load = [r["load"] for r in runs]
                    print(
                        f"{name:<12} {cache:<5} "
                        f"{statistics.median(ttfb):>14.0f} / {max(ttfb):>7.0f}"
                        f" {statistics.median(load):>16.0f} / {max(load):>6.0f}"
                        f" {statistics.median(r['bytes'] for r in runs):>7.0f}"
                    )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
