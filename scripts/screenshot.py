"""Take the README screenshot: sign in to a running demo, open a busy customer's 360, save a PNG.

.venv/bin/python scripts/screenshot.py http://127.0.0.1:8000 /customers/123/ docs/screenshot-360.png
"""

from __future__ import annotations

import shutil
import sys

from playwright.sync_api import sync_playwright


def main() -> None:
    base, path, output = sys.argv[1], sys.argv[2], sys.argv[3]
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Email").fill("agent@demo.test")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/customers/")
        page.goto(f"{base}{path}")
        page.locator("#spend-chart[data-drawn='1']").wait_for()
        page.screenshot(path=output)
        browser.close()


if __name__ == "__main__":
    main()
