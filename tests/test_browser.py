"""End to end in headless Debian Chromium: ask, see the cited answer and its source, follow up, stay inert."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from livesrv import chromium, live_server

from app.core.types import Answer, Citation
from app.web.render import chat_html, turn_html

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SOURCED_SCREENSHOTS")  # a folder: save desktop and phone screenshots there


def offline(page, allowed: tuple[str, ...]) -> list[str]:
    """Abort and record every request that would leave the loopback servers."""
    escaped: list[str] = []

    def route(r):
        if r.request.url.startswith(allowed) or r.request.url.startswith(("data:", "blob:")):
            return r.continue_()
        escaped.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    return escaped


def ask(page, question: str, n: int) -> None:
    """Type a question, send it, wait for the n-th finished answer."""
    page.fill("#sx-box textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('.sx-bot .sx-bubble:not(.sx-pending)').length >= {n}", timeout=30_000
    )


def test_chat_end_to_end(seed_settings, deps, tmp_path):
    url = live_server(seed_settings, deps)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        escaped = offline(page, (url,))
        page.goto(url + "/")
        page.wait_for_selector("#sx-box textarea")
        assert page.locator(".sx-example").count() >= 3

        ask(page, "What did Turkey deploy in September?", 1)
        bot = page.locator(".sx-bot").first
        assert "Turkish army deployed reinforcements" in bot.locator(".sx-bubble").inner_text()
        title = bot.locator(".sx-source summary .sx-title").first
        assert title.is_visible() and "Turkey deployed military reinforcements" in title.inner_text()
        passage = bot.locator(".sx-source mark").first
        assert not passage.is_visible()
        bot.locator(".sx-chip").first.click()
        passage.wait_for(state="visible")
        assert "On 10 September" in passage.inner_text()
        assert page.locator(".sx-example").first.is_hidden()
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "chat-desktop.png"))

        ask(page, "Where did they head?", 2)
        assert "al-Bara" in page.locator(".sx-bot").nth(1).inner_text()

        hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
        ask(page, hostile, 3)
        assert page.locator(".sx-user").nth(2).inner_text() == hostile
        assert page.evaluate("window.__pwned") is None

        other = browser.new_page(viewport={"width": 390, "height": 844})  # another session: no shared history
        offline(other, (url,))
        other.goto(url + "/")
        other.wait_for_selector(".sx-empty")
        assert other.locator(".sx-user").count() == 0
        if SHOTS:
            ask(other, "What did Turkey deploy in September?", 1)
            other.locator(".sx-chip").first.click()
            other.wait_for_timeout(400)
            other.screenshot(path=str(Path(SHOTS) / "chat-phone.png"))

        page.click("#sx-new")
        page.wait_for_selector(".sx-empty")
        assert page.locator(".sx-user").count() == 0
        assert not escaped, escaped


def test_hostile_markup_never_runs(tmp_path):
    text = 'Head\n\n<script>window.__pwned=1</script> Quote <img src=x onerror="window.__pwned=2"> here.\n'
    q = 'Quote <img src=x onerror="window.__pwned=2"> here.'
    c = Citation(
        id=1,
        source="<svg onload=window.__pwned=3>.txt",
        title="<script>window.__pwned=4</script>",
        published="2024",
        quote=q,
        start=text.index(q),
        end=text.index(q) + len(q),
        publisher='<img src=x onerror="window.__pwned=5">',
    )
    a = Answer(
        question="q",
        answer=f"{q} [1] <a href='javascript:window.__pwned=6'>x</a> ${{window.__pwned=7}}",
        refused=False,
        mode="llm",
        citations=[c],
    )
    html = chat_html([turn_html(1, "<b onmouseover=window.__pwned=8>q</b>", a, lambda s: text)], [])
    with chromium() as browser:
        page = browser.new_page()
        page.set_content(f"<!doctype html><body>{html}</body>")
        page.click(".sx-chip")
        page.click("summary")
        page.hover(".sx-user")
        page.wait_for_timeout(200)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("script, img, svg, a").count() == 0
        assert "<script>" in page.locator(".sx-title").inner_text()


def test_timeline_and_sources_panels(seed_settings, deps):
    url = live_server(seed_settings, deps)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        escaped = offline(page, (url,))
        page.goto(url + "/")
        page.wait_for_selector("#sx-box textarea")

        page.get_by_text("Timeline", exact=True).click()
        page.fill("#sx-tl textarea", "Turkish deployments")
        page.keyboard.press("Enter")
        page.wait_for_selector(".sx-timeline li", timeout=30_000)
        labels = page.locator(".sx-timeline time").all_inner_texts()
        assert "4 June 2020" in labels

        page.get_by_text("Sources", exact=True).click()
        page.locator("#sx-src input").first.click()
        page.get_by_role("option").filter(has_text="The New Arab").first.click()
        page.wait_for_selector(".sx-article h3", timeout=30_000)
        assert "25,000 Turkish soldiers" in page.locator(".sx-article").inner_text()
        suggestion = page.locator(".sx-suggest").first
        suggestion.wait_for(state="visible")
        question = suggestion.inner_text()
        suggestion.click()
        page.wait_for_function(
            "document.querySelectorAll('.sx-bot .sx-bubble:not(.sx-pending)').length >= 1", timeout=30_000
        )
        assert page.locator(".sx-user").first.inner_text() == question
        assert not escaped, escaped
