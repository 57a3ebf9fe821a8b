"""Several outlets in one answer: grouped by outlet, differing figures both shown and cited, never blended."""

from __future__ import annotations

import re

import pytest

from app.answer.news.outlets import counts, disagreements, side_by_side
from app.core.types import Answer, Citation


def cite(n: int, quote: str, publisher: str | None, source: str = "") -> Citation:
    return Citation(
        id=n,
        source=source or f"{n}.txt",
        title=f"Title {n}",
        published=None,
        quote=quote,
        start=0,
        end=len(quote),
        publisher=publisher,
    )


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("There were 25,000 Turkish soldiers in Idlib.", [("soldier", 25000.0, "")]),
        ("About 11 soldiers were killed in the attack.", [("soldier", 11.0, "dead")]),
        ("Officials said 2.5 million people fled.", [("peopl", 2500000.0, "displaced")]),
        ("Twenty vehicles entered the area.", [("vehicl", 20.0, "")]),
        ("One of them left in 2020.", []),
    ],
)
def test_counts(sentence, expected):
    assert [(c.noun, c.value, c.kind) for c in counts(sentence)] == expected


def test_disagreement_needs_two_outlets_the_same_thing_and_different_numbers():
    q = "How many people were killed in the floods?"
    a = cite(1, "At least 205 people were killed in the floods, officials said.", "Outlet A")
    b = cite(2, "The floods killed 217 people, according to the regional government.", "Outlet B")
    same = cite(3, "Later 211 people were reported killed.", "Outlet A")
    injured = cite(4, "Some 300 people were injured.", "Outlet C")
    (d,) = disagreements(q, [a, b])
    assert d.subject == "people" and [(f.value, f.citation, f.publisher) for f in d.figures] == [
        ("205", 1, "Outlet A"),
        ("217", 2, "Outlet B"),
    ]
    assert disagreements(q, [a, same]) == []  # one outlet revising itself
    assert disagreements(q, [a, injured]) == []  # killed vs injured: different things
    assert disagreements("How many soldiers were in Idlib?", [a, b]) == []  # not what was asked


def test_side_by_side_groups_by_outlet_and_keeps_markers():
    a = Answer(
        question="q",
        answer="First claim. [1] Second claim. [2] Third claim. [3]",
        refused=False,
        mode="extractive",
        citations=[cite(1, "x", "Outlet A"), cite(2, "y", "Outlet B"), cite(3, "z", "Outlet A")],
    )
    got = side_by_side(a).answer
    assert got == "Outlet A: First claim. [1] Third claim. [3]\nOutlet B: Second claim. [2]"
    one = Answer(
        question="q",
        answer="A. [1] B. [2]",
        refused=False,
        mode="extractive",
        citations=[cite(1, "x", "Outlet A"), cite(2, "y", None)],
    )
    assert side_by_side(one).answer == "A. [1] B. [2]"  # outlets unknown: maybe the same one


ARTICLES = {
    "a.txt": (
        "Floods kill hundreds in eastern Spain\n\n12 March, 2024\n\n"
        "At least 205 people were killed in the floods in Valencia, regional officials said on Monday.\n\n"
        "Rescue teams searched cars swept away by the water across the region.\n\n"
        "Follow Coast Herald on Facebook\n"
    ),
    "b.txt": (
        "Valencia flood toll rises as rescuers search\n\n13 March, 2024\n\n"
        "The floods in Valencia killed 217 people, according to the regional government on Tuesday.\n\n"
        "Thousands of volunteers cleared mud from the streets of the city.\n\n"
        "Follow Iberia Daily on Facebook\n"
    ),
}


@pytest.fixture(scope="module")
def two_outlets(tmp_path_factory, embedder):
    from app.answer.pipeline import load_deps
    from app.core.settings import Settings
    from app.ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("outlets")
    docs = root / "docs"
    docs.mkdir()
    for name, text in ARTICLES.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = Settings(index_dir=root / "index", answer_mode="extractive")
    ingest([docs], settings, embedder)
    return docs, load_deps(settings)


def test_differing_figures_are_both_shown_and_cited(two_outlets):
    from app.answer.pipeline import answer

    docs, deps = two_outlets
    d = answer("How many people were killed in the floods in Valencia?", [], deps).to_dict()
    assert not d["refused"] and "205" in d["answer"] and "217" in d["answer"]
    assert "Coast Herald: " in d["answer"] and "Iberia Daily: " in d["answer"]
    (dis,) = d["disagreements"]
    assert sorted(f["value"] for f in dis["figures"]) == ["205", "217"]
    for c in d["citations"]:
        assert (docs / c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    assert {int(n) for n in re.findall(r"\[(\d+)\]", d["answer"])} == {c["id"] for c in d["citations"]}


def test_disagreements_are_shown_in_the_chat_page():
    from app.core.types import Disagreement, Figure
    from app.web.render import turn_html

    a = Answer(
        question="q",
        answer="Outlet A: 205 died. [1]\nOutlet B: 217 died. [2]",
        refused=False,
        mode="extractive",
        citations=[cite(1, "205 died.", "Outlet A"), cite(2, "217 died.", "Outlet <B>")],
        disagreements=[
            Disagreement(
                subject="people",
                figures=[
                    Figure(value="205", citation=1, publisher="Outlet A"),
                    Figure(value="217", citation=2, publisher="Outlet <B>"),
                ],
            )
        ],
    )
    html = turn_html(1, "q", a, lambda s: None)
    assert 'class="sx-disagree"' in html and "Sources differ on people" in html
    assert 'data-cite="sx-1-2"' in html and "Outlet &lt;B&gt;" in html
