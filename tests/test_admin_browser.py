"""The archive in headless Debian Chromium: an editor uploads an article on /admin, a reader asks about it and
gets a cited answer, rates it with a comment, copies and exports the chat; the editor deletes the article and
the same question is refused. No request may leave the loopback server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from livesrv import chromium, live_server
from test_archive import ARTICLE
from test_browser import ask, offline

from app.core.settings import Settings
from app.ingest import ingest
from tests.conftest import SEEDS

pytestmark = pytest.mark.browser
TOKEN = "browser-admin-token-0123456789"
HARBOUR_ROW = '#docs tbody tr[data-source="harbour-reopens.txt"]'
QUESTION = "When did the northern harbour at Port Elwin reopen?"


@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder):
    from app.answer.pipeline import load_deps

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    root = tmp_path_factory.mktemp("admin-browser")
    shutil.copytree(SEEDS, root / "seeds")
    settings = Settings(
        index_dir=root / "index",
        documents_dir=root / "documents",
        answer_mode="extractive",
        admin_token=TOKEN,
    )
    ingest([root / "seeds"], settings, embedder)
    (root / "harbour-reopens.txt").write_text(ARTICLE, encoding="utf-8")
    return live_server(settings, load_deps(settings), name="admin"), root


def rows(page) -> list[str]:
    return [r.get_attribute("data-source") or "" for r in page.locator("#docs tbody tr").all()]


def test_upload_ask_rate_export_delete_refuse(site):
    url, root = site
    with chromium() as browser:
        context = browser.new_context(
            accept_downloads=True, permissions=["clipboard-read", "clipboard-write"]
        )
        page = context.new_page()
        escaped = offline(page, (url,))

        # the editor signs in and uploads
        page.goto(url + "/admin")
        page.fill("#token", TOKEN)
        page.click("#signin-form button")
        page.wait_for_selector("#docs tbody tr")
        assert "001_f4fb8e769c839d13.txt" in rows(page)
        page.set_input_files("#files", str(root / "harbour-reopens.txt"))
        page.wait_for_selector("#results li.ok", timeout=60_000)
        assert "added" in page.locator("#results li.ok").first.inner_text()
        assert page.locator("#progress-text").inner_text().startswith("Done: 1 of 1")
        page.wait_for_selector(HARBOUR_ROW)  # the admin page's CSP forbids evaluated strings: selectors only
        if os.environ.get("SOURCED_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["SOURCED_SCREENSHOTS"]) / "admin.png"), full_page=True)

        # a reader asks about it and gets a cited answer
        page.goto(url + "/")
        page.wait_for_selector("#sx-box textarea")
        ask(page, QUESTION, 1)
        bot = page.locator(".sx-bot").first
        assert not bot.locator(".sx-refused").count()
        assert "harbour-reopens.txt" in (bot.locator(".sx-file").first.text_content() or "")
        bot.locator(".sx-chip").first.click()
        assert "Port Elwin" in bot.locator(".sx-source mark").first.inner_text()

        # rates it, with a comment, and copies it
        bot.locator('[data-act="down"]').click()
        bot.locator(".sx-comment textarea").fill("The date is missing.")
        bot.locator(".sx-comment button").click()
        page.wait_for_function("document.querySelector('.sx-act-status').textContent.includes('Thanks')")
        if os.environ.get("SOURCED_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["SOURCED_SCREENSHOTS"]) / "feedback.png"))
        assert bot.locator('[data-act="down"]').get_attribute("aria-pressed") == "true"
        got = httpx.get(url + "/api/feedback", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert got["total"] == 1 and got["items"][0]["rating"] == "down"
        assert got["items"][0]["comment"] == "The date is missing." and got["items"][0]["citations"]
        bot.locator('[data-act="copy"]').click()
        page.wait_for_function("document.querySelector('.sx-act-status').textContent === 'Copied.'")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "Sources:" in copied and "harbour-reopens.txt" in copied

        # exports the chat as Markdown
        with page.expect_download() as dl:
            page.click("#sx-export")
        md = Path(dl.value.path()).read_text(encoding="utf-8")
        assert md.startswith("# Sourced chat") and f"## 1. {QUESTION}" in md
        assert "1. **" in md and "   > " in md and "harbour-reopens.txt" in md

        # the editor deletes it; the same question is refused
        page.goto(url + "/admin")
        page.wait_for_selector("#docs tbody tr")
        page.on("dialog", lambda d: d.accept())
        page.locator(HARBOUR_ROW + " button.danger").click()
        page.locator(HARBOUR_ROW).wait_for(state="detached")
        assert "Deleted harbour-reopens.txt" in page.locator("#message").inner_text()
        page.goto(url + "/")
        page.wait_for_selector("#sx-box textarea")
        ask(page, QUESTION, 1)
        assert page.locator(".sx-bot .sx-refused").count() == 1
        assert not escaped, escaped
        context.close()


def test_admin_page_without_a_token_says_why(site):
    url, _ = site
    with chromium() as browser:
        page = browser.new_page()
        escaped = offline(page, (url,))
        page.goto(url + "/admin")
        page.fill("#token", "wrong")
        page.click("#signin-form button")
        page.locator("#message:not(:empty)").wait_for()
        assert "admin token" in page.locator("#message").inner_text()
        assert page.locator("#work").is_hidden()
        assert not escaped, escaped
