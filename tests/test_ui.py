"""Chat rendering (escaping, highlighted passages, citation chips), hostile documents, and the Gradio /chat API."""

from __future__ import annotations

import re

import pytest
from livesrv import live_server

from app.core.types import Answer, Citation
from app.web.render import answer_html, chat_html, paragraph, turn_html
from app.web.ui import history_of

HOSTILE_TXT = """<script>window.__pwned=1</script>Drones <img src=x onerror="window.__pwned=2"> at Kilis

The Daily <b>Wire</b> | 12 October 2024

On 12 October, Turkey deployed armed drones <script>window.__pwned=3</script> to the border near Kilis, \
officials said ${window.__pwned=4} {{constructor.constructor('window.__pwned=5')()}}.

<iframe src="javascript:window.__pwned=6"></iframe> A second paragraph about <a href="javascript:alert(1)">roads</a>.
"""
HOSTILE_HTML = """<html><head><title>Convoy &lt;script&gt; report</title></head><body><article>
<h1>Convoy <em>moves</em> on Kilis</h1>
<p>On 13 October a convoy of 30 trucks crossed into Kilis province <img src=x onerror="window.__pwned=7"> carrying food and tents, the governor said. Officials expect more trucks in the coming week.</p>
<p>The <script>window.__pwned=8</script> aid agencies said the convoy reached the camps by evening.</p>
</article></body></html>"""


def test_paragraph_and_highlight():
    text = "Intro line.\n\nFirst part. The quoted words here. Tail of it.\nNext paragraph."
    start = text.index("The quoted")
    c = Citation(
        id=1,
        source="a.txt",
        title="T",
        published=None,
        quote="The quoted words here.",
        start=start,
        end=start + 22,
    )
    assert paragraph(text, c) == ("First part. ", "The quoted words here.", " Tail of it.")
    assert paragraph(None, c) == ("", c.quote, "")
    assert paragraph("mismatched text", c) == ("", c.quote, "")
    long = "w " * 1000 + c.quote + " z" * 1000
    before, _, after = paragraph(
        long, Citation(id=1, source="a", title="T", published=None, quote=c.quote, start=2000, end=2022)
    )
    assert before.startswith("…") and after.endswith("…") and len(before) < 400


def test_answer_markers_become_chips_only_for_known_citations():
    html = answer_html("A <b>x</b> [1] and [7].", {1: "sx-1-1"})
    assert '<button type="button" class="sx-chip" data-cite="sx-1-1"' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "[7]" in html and "<b>" not in html


def test_turn_renders_sources_visible_and_passages_marked():
    text = "Title\n\nOn 10 September, Turkey deployed reinforcements. More text."
    q = "On 10 September, Turkey deployed reinforcements."
    c = Citation(
        id=1,
        source="001.txt",
        title="Turkey deploys",
        published="2020-09-10",
        quote=q,
        start=text.index(q),
        end=text.index(q) + len(q),
        publisher="Pub",
    )
    a = Answer(question="q?", answer=f"{q} [1]", refused=False, mode="extractive", citations=[c])
    html = turn_html(3, "q <i>?</i>", a, lambda s: text)
    assert 'id="sx-3-1"' in html and 'data-cite="sx-3-1"' in html
    assert "<summary>" in html and "Turkey deploys" in html and "Pub · 2020-09-10" in html
    assert f"<mark>{q}</mark> More text." in html
    assert "&lt;i&gt;?&lt;/i&gt;" in html
    err = turn_html(4, "q", None, lambda s: None, error="Busy <now>")
    assert 'role="alert"' in err and "Busy &lt;now&gt;" in err
    assert "sx-empty" in chat_html([], [])


def test_final_answers_carry_their_data_and_actions_inert():
    import html as htmllib
    import json

    q = 'Quote "with" <script>x</script> & more'
    c = Citation(id=1, source="<svg onload=x>.txt", title="T'", published=None, quote=q, start=0, end=len(q))
    a = Answer(question="<b>q</b>", answer=f"{q} [1]", refused=False, mode="extractive", citations=[c])
    out = turn_html(1, "<b>q</b>", a, lambda s: q, answer_id="ab" * 16)
    m = re.search(r'data-answer="([^"]*)"', out)
    assert m and "<" not in m.group(1) and "'" not in m.group(1)
    data = json.loads(htmllib.unescape(m.group(1)))
    assert (
        data["answer_id"] == "ab" * 16
        and data["citations"][0]["quote"] == q
        and data["question"] == "<b>q</b>"
    )
    assert 'data-act="up"' in out and 'data-act="down"' in out and 'data-act="copy"' in out
    assert "data-answer" not in turn_html(1, "q", a, lambda s: q)  # no id (e.g. the CLI's view): no actions
    assert "data-answer" not in turn_html(1, "q", None, lambda s: q, partial="…")


def test_history_of_skips_failed_turns():
    turns = [{"q": "a", "a": "b", "html": ""}, {"q": "c", "a": None, "html": ""}]
    assert history_of(turns) == [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]


@pytest.fixture(scope="module")
def hostile_deps(tmp_path_factory, embedder):
    from app.answer.pipeline import load_deps
    from app.core.settings import Settings
    from app.ingest.pipeline import ingest

    docs = tmp_path_factory.mktemp("hostile-docs")
    (docs / "drones.txt").write_text(HOSTILE_TXT, encoding="utf-8")
    (docs / "convoy.html").write_text(HOSTILE_HTML, encoding="utf-8")
    settings = Settings(index_dir=tmp_path_factory.mktemp("hostile-index"), answer_mode="extractive")
    ingest([docs], settings, embedder)
    return load_deps(settings)


def inert(html: str) -> None:
    """Only the renderer's own tags and attributes: nothing from a document or question is live."""
    for tag, attrs in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>", html):
        assert tag in {"div", "span", "button", "details", "summary", "blockquote", "mark"}, tag
        names = set(re.findall(r"([a-zA-Z-]+)=", attrs))
        assert names <= {"type", "class", "data-cite", "aria-label", "id", "role", "data-turn"}, attrs


@pytest.mark.parametrize(
    "question",
    ["What did Turkey deploy to the border near Kilis?", "How many trucks crossed into Kilis province?"],
)
def test_hostile_documents_render_inert(hostile_deps, question):
    from app.answer.pipeline import answer

    a = answer(question, [], hostile_deps)
    assert a.citations, a.answer
    html = turn_html(
        1, question + ' <img src=x onerror="alert(1)">', a, hostile_deps.retriever.store.document_text
    )
    inert(html)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<mark>" in html


@pytest.mark.slow  # waits on purpose, a subprocess, or many requests: not in make test-fast
def test_gradio_client_chat_endpoint(seed_settings, deps):
    from gradio_client import Client

    url = live_server(seed_settings, deps)
    client = Client(url + "/", verbose=False, download_files=False)
    d = client.predict(question="What did Turkey deploy in September?", history=[], api_name="/chat")
    assert d["citations"] and not d["refused"]
    hist = [{"role": "user", "content": d["question"]}, {"role": "assistant", "content": d["answer"]}]
    follow = client.predict(question="Where did they head?", history=hist, api_name="/chat")
    assert "al-Bara" in follow["answer"]
    with pytest.raises(Exception, match="at most 1000 characters"):
        client.predict(question="", history=[], api_name="/chat")


def test_notes_and_unsupported_marks_are_visible():
    a = Answer(
        question="q",
        answer="Turkey sent 20 vehicles [1]. Turkey flew jets over Aleppo (unsupported).",
        refused=False,
        mode="llm",
        citations=[Citation(id=1, source="a.txt", title="T", published=None, quote="q", start=0, end=1)],
        warnings=["1 claim of the model's answer matched no passage and was marked (unsupported)."],
    )
    html = turn_html(2, "q", a, lambda s: None)
    inert(html)
    assert '<span class="sx-unsupported">(unsupported)</span>' in html
    assert (
        '<div class="sx-notes" role="note" aria-label="About this answer"><div class="sx-note">1 claim'
        in html
    )
    assert html.index("sx-notes") < html.index("sx-sources")  # between the answer and its sources
    assert "sx-notes" not in turn_html(
        2, "q", Answer(question="q", answer="x", refused=True, mode="llm"), str
    )


def test_chat_streams_the_model_text_then_shows_the_checked_answer(llm_deps, server):
    """What the chat page renders turn by turn: the model's raw text while it streams, then the checked answer
    (the invented claim gone, its chip and source in place, a note saying a claim was removed)."""
    import anyio

    from app.answer import Service
    from tests.fake_openai import SCENARIOS

    server.push(SCENARIOS["invented"])
    service = Service(llm_deps.settings, llm_deps)

    async def collect() -> list[str]:
        text_of = llm_deps.retriever.store.document_text
        out = []
        async for partial, final in service.stream("What did Turkey deploy in September?", [], "t"):
            out.append(turn_html(1, "q", final, text_of, partial))
        return out

    shown = anyio.run(collect)
    partials, final = shown[:-1], shown[-1]
    assert any("40 fighter jets" in h and "sx-pending" in h for h in partials)
    assert "40 fighter jets" not in final and 'class="sx-chip"' in final and "sx-pending" not in final
    assert "matched no passage and was removed" in final and 'role="note"' in final
