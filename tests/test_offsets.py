"""The offset invariant: text[start:end] == passage, for every seed passage and for arbitrary text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.settings import Settings
from app.text.documents import analyse, load_file
from app.text.passages import chunk
from app.text.sentences import split_sentences
from tests.conftest import SEEDS


def test_every_seed_passage_is_exact():
    s = Settings()
    total = 0
    for p in sorted(SEEDS.glob("*.txt")):
        doc = load_file(p, SEEDS, s)
        raw = p.read_bytes().decode("utf-8")
        assert doc.text == raw
        for passage in chunk(doc, s):
            assert raw[passage.start : passage.end] == passage.text
            assert passage.text.strip() == passage.text
            total += 1
    assert total >= 20


def test_passages_respect_size_limits():
    s = Settings(chunk_max_chars=300, chunk_max_sentences=2)
    for p in sorted(SEEDS.glob("*.txt")):
        for passage in chunk(load_file(p, SEEDS, s), s):
            assert len(split_sentences(passage.text)) <= 2 or len(passage.text) <= 300 * 2


_text = st.lists(
    st.sampled_from(list("abc XYZ.!?\n\"”’'()12,3") + ["Dr. ", "Mr. ", "\r\n", "é", "\u2019", "\t", "U.S. "]),
    max_size=200,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_text)
def test_sentences_are_exact_slices(text):
    prev_end = 0
    for s, e in split_sentences(text):
        assert 0 <= prev_end <= s < e <= len(text)
        piece = text[s:e]
        assert piece == piece.strip() and piece
        prev_end = e


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("Abc def. Ghi? Jk! \"Lm.\" 'n'")), min_size=1, max_size=120),
        max_size=12,
    )
)
def test_chunks_are_exact_slices(paragraphs):
    text = "Some Headline Of Five Words\n\n" + "\n\n".join(paragraphs)
    doc = analyse("x.txt", text)
    for p in chunk(doc, Settings(chunk_max_chars=80)):
        assert text[p.start : p.end] == p.text
