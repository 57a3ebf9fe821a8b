"""data/reader-news.jsonl, the reader's news training questions: well formed, verbatim, apart from every test set."""

from __future__ import annotations

import collections
import json
import re

import pytest

from tests.conftest import ROOT, SHARED

DATA = ROOT / "data" / "reader-news.jsonl"
ARTICLES = ROOT / "data" / "reader-news.articles"
BBC = SHARED / "corpora" / "bbc"
KEY = re.compile(r"(business|entertainment|politics|sport|tech)/\d{3}")
TRAPS = {"negation", "antonym", "swapped-entity", "changed-number", "changed-date", "absent-detail"}


def records() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_record_is_well_formed_and_names_a_listed_article():
    listed = set(ARTICLES.read_text(encoding="utf-8").split())
    recs = records()
    assert len({r["id"] for r in recs}) == len(recs)
    for r in recs:
        assert KEY.fullmatch(r["article"]) and r["article"] in listed, r["id"]
        if r["answerable"]:
            assert r["expect"] and all(r["expect"]) and "plausible" not in r, r["id"]
        else:
            assert r["expect"] == [] and r["plausible"] and r["trap"] in TRAPS, r["id"]
    per = collections.Counter((r["article"], r["answerable"]) for r in recs)
    assert {a for a, _ in per} == listed
    assert all(per[(a, True)] == 4 and per[(a, False)] == 3 for a in listed)


def test_no_article_is_one_a_test_set_asks_about():
    """Training articles must never be report or tuning articles: every BBC key named under tests/."""
    named = set()
    for path in (ROOT / "tests").glob("questions_*"):
        text = path.read_text(encoding="utf-8")
        named |= {
            m.group(0).replace("_", "/")
            for m in re.finditer(r"(?:business|entertainment|politics|sport|tech)[/_]\d{3}", text)
        }
    assert named, "the test sets name their BBC articles"
    assert not named & set(ARTICLES.read_text(encoding="utf-8").split())


def test_every_span_is_verbatim_in_its_article_body():
    if not BBC.exists():
        pytest.skip("../shared/corpora/bbc is not present")
    bodies = {}
    for r in records():
        if r["article"] not in bodies:
            bodies[r["article"]] = (BBC / f"{r['article']}.txt").read_text(encoding="utf-8").split("\n", 1)[1]
        spans = [t for g in r["expect"] for t in g] if r["answerable"] else r["plausible"]
        for t in spans:
            assert t in bodies[r["article"]], (r["id"], t)
