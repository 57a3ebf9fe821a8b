"""The one-line embed on a page from another origin: launcher, iframe chat, cited answer."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from livesrv import chromium, live_server, static_server

pytestmark = pytest.mark.browser
DEMO = Path(__file__).resolve().parent.parent / "docs" / "widget-demo.html"


def host_page(tmp_path: Path, app_url: str, attrs: str = "") -> Path:
    """The demo page with its script tag pointed at the test server."""
    html = DEMO.read_text(encoding="utf-8")
    html, n = re.subn(
        r'<script src="[^"]*/widget\.js"([^>]*)>', f'<script src="{app_url}/widget.js"\\1{attrs}>', html
    )
    assert n == 1
    (tmp_path / "index.html").write_text(html, encoding="utf-8")
    return tmp_path


@contextmanager
def news_site(seed_settings, deps, tmp_path: Path, attrs: str, width: int, height: int):
    """(page, app url, site url): a browser page beside a host page on another origin (127.0.0.2)."""
    app_url = live_server(seed_settings, deps)
    site, httpd = static_server(host_page(tmp_path, app_url, attrs), host="127.0.0.2")
    try:
        with chromium() as browser:
            yield browser.new_page(viewport={"width": width, "height": height}), app_url, site
    finally:
        httpd.shutdown()


def test_widget_on_another_origin(seed_settings, deps, tmp_path):
    with news_site(seed_settings, deps, tmp_path, ' data-position="left"', 1280, 860) as (
        page,
        app_url,
        site,
    ):
        escaped: list[str] = []

        def route(r):
            if r.request.url.startswith((app_url, site, "data:", "blob:")):
                return r.continue_()
            escaped.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.goto(site + "/index.html")
        launcher = page.locator("[data-sourced-launcher]")
        launcher.wait_for(state="visible")
        assert launcher.get_attribute("aria-expanded") == "false"
        box = launcher.bounding_box()
        assert box and box["x"] < 200  # data-position="left"
        assert page.locator("iframe").count() == 0  # nothing loads before the first click
        launcher.click()
        assert launcher.get_attribute("aria-expanded") == "true"
        frame = page.frame_locator("iframe[title='Ask our archive']")
        frame.locator("#sx-box textarea").fill("What did Turkey deploy in September?")
        frame.locator("#sx-box textarea").press("Enter")
        chip = frame.locator(".sx-chip").first
        chip.wait_for(timeout=30_000)
        assert frame.locator(".sx-source .sx-title").first.is_visible()
        chip.click()
        frame.locator(".sx-source mark").first.wait_for(state="visible")
        assert "On 10 September" in frame.locator(".sx-source mark").first.inner_text()
        assert frame.locator(".sx-brand").first.is_hidden()  # the compact embed view
        if os.environ.get("SOURCED_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["SOURCED_SCREENSHOTS"]) / "widget.png"))
        page.locator("[data-sourced-panel] button[aria-label='Close']").click()
        assert launcher.get_attribute("aria-expanded") == "false"
        assert not escaped, escaped


def test_widget_opens_on_load_when_asked(seed_settings, deps, tmp_path):
    with news_site(seed_settings, deps, tmp_path, ' data-open="true"', 390, 844) as (page, _, site):
        page.goto(site + "/index.html")
        page.frame_locator("iframe").locator("#sx-box textarea").wait_for(timeout=20_000)
        assert page.locator("[data-sourced-panel]").is_visible()
