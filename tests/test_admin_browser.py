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


def test_why_this_answer_panel_and_feedback(site):
    """A "not helpful" rating is listed with its comment and counted per day; one click opens its trace: the
    verdict, the question as analysed, the reader's decision and the passages, the answer's words marked."""
    url, _ = site
    auth = {"Authorization": f"Bearer {TOKEN}"}
    question = "Which border crossing did the Turkish convoy use to enter Syria?"
    got = httpx.post(url + "/api/ask", json={"question": question}).json()
    rated = {"rating": "down", "question": question, "answer": got["answer"], "comment": "Which crossing?"}
    assert httpx.post(url + "/api/feedback", json=rated).status_code == 200
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        escaped = offline(page, (url,))
        page.goto(url + "/admin")
        page.fill("#token", TOKEN)
        page.click("#signin-form button")
        row = page.locator("#feedback tbody tr", has_text="Which crossing?")
        row.wait_for()
        assert "not helpful" in row.inner_text() and page.locator("#feedback-days tbody tr").count() >= 1
        row.locator("button.why").click()
        page.wait_for_selector("#why-out:not([hidden])", timeout=60_000)
        assert page.locator("#why-question").input_value() == question
        assert page.locator("#why-verdict b").inner_text().startswith("Decided by: ")
        assert page.locator("#why-verdict span").inner_text()
        assert page.locator("#why-question-table", has_text="Key terms").count() == 1
        assert page.locator("#why-passages li").count() >= 1
        assert "fused" in page.locator("#why-passages li .meta").first.inner_text()
        assert page.locator("#why-reader tbody tr").count() >= 1
        if not got["refused"]:  # the cited sentence is marked in its passage
            assert page.locator("#why-passages mark.cited, #why-passages mark.span").count() >= 1
        # the same panel from a pasted question
        page.fill("#why-question", "What did Turkey deploy in 1999?")
        page.click("#why-run")
        page.locator("#why-verdict b", has_text="retrieval found nothing").wait_for()  # CSP: selectors only
        assert "removed by the time filter" in page.locator("#why-passages").inner_text()
        page.fill("#why-question", question)
        page.click("#why-run")
        page.locator("#why-verdict b:not(:has-text('retrieval'))").wait_for()
        if os.environ.get("SOURCED_SCREENSHOTS"):
            page.locator("#why").screenshot(
                path=str(Path(os.environ["SOURCED_SCREENSHOTS"]) / "admin-why.png")
            )
        down = httpx.get(url + "/api/feedback?rating=down", headers=auth).json()
        assert down["items"][0]["comment"] == "Which crossing?"
        assert not escaped, escaped
