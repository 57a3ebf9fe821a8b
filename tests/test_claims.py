"""Claim-by-claim attribution: splitting, the support check on a table of claim/passage pairs (which is where
the thresholds come from), quotations, offsets as properties, and scripted small-model answers end to end."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.answer.grounding.citations import render
from app.answer.grounding.claim_split import split_claims
from app.answer.grounding.claims import CONTRADICTED, QUOTE_FIXED, QUOTE_MISSING, REMOVED, check_claims
from app.answer.grounding.quotes import find
from app.answer.grounding.support import RULES, Span, claim_facts, common_words, judge, span_facts
from app.answer.llm.engine import LLM_UNSUPPORTED
from app.answer.pipeline import Deps, answer
from app.core.types import Hit
from app.text.numbers import values
from app.text.words import terms
from tests.conftest import SEEDS
from tests.factories import make_hit
from tests.fake_openai import SCENARIOS

DOC = "001_f4fb8e769c839d13.txt"
TEXT = (SEEDS / DOC).read_text(encoding="utf-8")


def hit(text: str, start: int = 0, source: str = "x.txt", published: str | None = None) -> Hit:
    return make_hit(text, source=source, start=start, publisher="P", published=published)


def sentence_at(first_words: str) -> tuple[int, int]:
    """Absolute offsets of the seed sentence starting with these words (through its closing period)."""
    start = TEXT.index(first_words)
    m = re.compile(r"[.!?][\"”]?(?=\s|$)").search(TEXT, start + 1)
    assert m
    end = m.end()
    if TEXT[start:end].endswith('there,"'):  # the convoy quotation ends later: "..." the group's report said.
        end = TEXT.index("said.", end) + 5
    return start, end


# ---------------------------------------------------------------- splitting

SPLITS = [
    ("Turkey sent troops [1].", [[("Turkey sent troops", (0,))]]),
    (
        "Turkey sent troops. [1] Russia bombed Idlib [2].",
        [[("Turkey sent troops", (0,))], [("Russia bombed Idlib", (1,))]],
    ),
    # clauses with a subject of their own, or long enough after a comma, are separate claims
    (
        "Turkey sent 20 vehicles [1] and Russia bombed Idlib [2].",
        [[("Turkey sent 20 vehicles", (0,)), ("Russia bombed Idlib", (1,))]],
    ),
    (
        "The army deployed reinforcements in Idlib, and the convoy headed towards al-Bara [1].",
        [[("The army deployed reinforcements in Idlib", (0,)), ("the convoy headed towards al-Bara", (0,))]],
    ),
    (
        "Turkey sent troops but Russia bombed the town of Idlib [2].",
        [[("Turkey sent troops", (1,)), ("Russia bombed the town of Idlib", (1,))]],
    ),
    # one fact with two parts, a fragment after a marker, and "and" inside a quotation stay whole
    (
        "Reinforcements reached Idlib [1] and Aleppo [2].",
        [[("Reinforcements reached Idlib and Aleppo", (0, 1))]],
    ),
    (
        "The convoy carried supplies and equipment [1].",
        [[("The convoy carried supplies and equipment", (0,))]],
    ),
    (
        'The group said "the convoy headed to al-Bara and Kansafra to reinforce positions" [1].',
        [[('The group said "the convoy headed to al-Bara and Kansafra to reinforce positions"', (0,))]],
    ),
    # two names joined by "and" are one thing: never a claim of their own to be cut away
    (
        "The agreement between Turkey and Russia established a ceasefire in Idlib [1].",
        [[("The agreement between Turkey and Russia established a ceasefire in Idlib", (0,))]],
    ),
    # paragraphs and list items
    ("Troops moved [1].\n\n- Tanks followed [2].", [[("Troops moved", (0,))], [("Tanks followed", (1,))]]),
]


@pytest.mark.parametrize(("text", "want"), SPLITS)
def test_split_claims(text, want):
    marked = render(text, 5)
    blocks = split_claims(marked.text, marked.order)
    got = [[(c.text, c.cited) for c in s.claims] for b in blocks for s in b.sentences]
    assert got == want


def test_numbers_in_words_and_digits():
    assert values("Twenty vehicles and twenty-five thousand troops") == {"20", "25000"}
    assert values("25,000 soldiers, 2.5 million people, $5bn, the 1st of 111") == {
        "25000",
        "2500000",
        "5000000000",
        "1",
        "111",
    }
    assert values("One of them said no one knew") == {"1"}  # the support check ignores "one"


# ---------------------------------------------------------------- the support check

S = {
    "deploy": "On 10 September, the Turkish army deployed reinforcements in north-western Syria, in the Idlib region, according to the Syrian Observatory for Human Rights.",
    "vehicles": "The London-based monitoring group reported that 20 Turkish military vehicles carrying logistical supplies and military equipment entered the area through the Kafr Luzhin border crossing and headed towards the southern countryside of Idlib.",
    "convoy": '"The convoy headed towards al-Bara and Kansafra directions in the southern countryside of Idlib to reinforce the [Turkish] positions there," the group\'s report said.',
    "soldiers": "Yusuf Katipoglu, a member of Turkey’s ruling Justice and Development Party, told The New Arab that there were currently 25,000 Turkish soldiers in Idlib province and that Turkey was prepared for all eventualities.",
    "iraqi": "To counter the pressure of the rebels, a large number of Iraqi forces supported by Iran crossed into Syria overnight to strengthen the defense of the Syrian army, according to reports.",
    "killed": "The Syrian Ministry of Defense said on September 9 that a total of 111 fighters were killed and more than 80 others were wounded.",
    "airstrikes": "On Wednesday, Russia launched its first airstrikes in three months on a rebel-held area of northwestern Syria where Idlib, Hama, and Latakia provinces meet.",
    "bahri": "Speaking at a press conference on Monday, the sixth day of a rebel offensive that forced Syrian government forces out of the city of Aleppo, Istanbul-based opposition leader Hadi al-Bahri said: “We are ready to negotiate from tomorrow.”",
    "hts": "The assault was reportedly led by Hayat Tahrir al-Sham (HTS), an al-Qaeda-affiliated group controlling parts of northwestern Syria, according to the Syrian Observatory for Human Rights.",
    "deaths": "In 2020, Syrian government forces, backed by Russia, launched an offensive in Idlib that resulted in the deaths of 36 Turkish soldiers stationed in northern Syria.",
    "positioning": "The Syrian regime has been positioning forces near rebel-held territory as Russian planes carry out airstrikes, as Idlib residents and Turkish troops prepare for a possible resumption of conflict.",
    "backup": "Opposition factions at the Operation Fath al-Mobin’s command center have recently started sending sizable military backup that included fighters, trainers, tanks, and equipment to positions along contact lines with regime forces in northwestern Syria.",
    "missiles": "In response to the Russian and regime moves on the air and the ground, Turkey has been reinforcing its military presence in Idlib, positioning short-range Atilgan anti-aircraft missiles in the Jabal Al-Zawiya area, which is believed to be a key regime target.",
    "ceasefire": "The March 5 2020 agreement between Turkey and Russia which established a ceasefire agreement in Idlib province said that the two countries could jointly patrol the M4 highway but protesters, believed to be linked to HTS, have blocked the road and stalled the patrols.",
    "hama": "However, opposition forces are still on the outskirts of Hama, south of Aleppo.",
    "advisers": "Iran also plans to keep military advisers in Syria, according to Iranian Foreign Ministry spokesman Esmaeil Baqaei.",
    "sharaf": "Later, on September 1, at least 16 soldiers were killed in a raid targeting an army position near the town of al-Sharaf in the northern province of Latakia, the province with the largest concentration of Russian military forces.",
    "positions": "On Thursday, the Turkish army set up four new positions in villages in Idlib province and reinforced positions",
    "reinf": "The Syrian regime and opposition factions have deployed substantial military reinforcements to contact lines in Idlib and the countryside of Aleppo amid speculations of military operations restarting in the area, opposition military sources reported.",
    "iranian": "This coincided with the arrival of military reinforcements of the Iranian militias to the sites under their control in western Aleppo.",
    "ops": "Over the course of a month, 16 operations were executed, 12 of which were carried out by opposition factions.",
    "talks": "For about a year now, Turkey and Syria have been in talks to restore relations.",
    "notreinforce": "Turkey does not reinforce the ceasefire or interfere in the activities of the HTS and its allies.",
    "rickli": "The opposition was “very well prepared”, facing an army that was “not very motivated or armed”.",
}

# (claim, sentence, verdict): true paraphrases, claims with a wrong name, number or polarity, and claims
# giving another number for the same thing. Written before the thresholds were set; they were then read off it.
TABLE = [
    ("Turkey deployed military reinforcements in Idlib on 10 September", "deploy", "supports"),
    ("The Turkish army deployed reinforcements in Idlib in September", "deploy", "supports"),
    (
        "Twenty Turkish military vehicles entered through the Kafr Luzhin border crossing",
        "vehicles",
        "supports",
    ),
    (
        "There were 25000 Turkish soldiers in Idlib province, according to Yusuf Katipoglu",
        "soldiers",
        "supports",
    ),
    ("The convoy was heading for al-Bara and Kansafra", "convoy", "supports"),
    ("Iraqi forces backed by Iran crossed into Syria overnight", "iraqi", "supports"),
    ("The Syrian defence ministry said 111 fighters were killed", "killed", "supports"),
    (
        "Russia carried out its first air raids in three months on rebel-held northwestern Syria",
        "airstrikes",
        "supports",
    ),
    ("Hadi al-Bahri said the opposition was ready to negotiate", "bahri", "supports"),
    ("HTS led the assault, according to the Syrian Observatory for Human Rights", "hts", "supports"),
    ("Hayat Tahrir al-Sham led the assault", "hts", "supports"),
    ("36 Turkish soldiers died in a 2020 offensive in Idlib", "deaths", "supports"),
    ("The regime is massing troops close to areas held by rebels", "positioning", "supports"),
    (
        "Opposition factions sent fighters, trainers, tanks and equipment to the contact lines",
        "backup",
        "supports",
    ),
    ("Turkey positioned Atilgan anti-aircraft missiles in Jabal Al-Zawiya", "missiles", "supports"),
    ("Both sides reinforced their front lines around Idlib and Aleppo", "reinf", "supports"),
    ("Opposition military sources reported it", "reinf", "supports"),
    ("Iranian militias also sent reinforcements to western Aleppo", "iranian", "supports"),
    ("Opposition factions carried out 12 of the 16 operations", "ops", "supports"),
    ("Turkey and Syria have been negotiating to mend ties for about a year", "talks", "supports"),
    ("Turkey does not enforce the ceasefire", "notreinforce", "supports"),
    ("Turkey deployed 20 tanks to Aleppo", "vehicles", "none"),
    ("Russia sent 500 tanks to Idlib", "vehicles", "none"),
    ("Erdogan ordered the deployment", "deploy", "none"),
    ("The convoy carried humanitarian aid for refugees", "vehicles", "none"),
    ("Turkey has 25,000 soldiers in Aleppo", "soldiers", "none"),
    ("Russian planes destroyed Turkish drones over Idlib", "airstrikes", "none"),
    ("The ceasefire was signed in Moscow", "ceasefire", "none"),
    ("Opposition fighters captured Hama", "hama", "none"),
    ("The Syrian army was well armed and highly motivated", "rickli", "none"),
    ("Residents of Idlib fled to Turkey", "positioning", "none"),
    ("The regime's planes bombed Turkish positions", "positioning", "none"),
    ("HTS signed a peace deal with the government", "hts", "none"),
    ("Turkey reinforces the ceasefire", "notreinforce", "none"),
    ("Thirty Turkish military vehicles entered through the Kafr Luzhin crossing", "vehicles", "contradicts"),
    ("Turkey deployed reinforcements in Idlib on 12 September", "deploy", "contradicts"),
    ("At least 16 soldiers were killed near al-Sharaf on September 2", "sharaf", "contradicts"),
    ("The Turkish army set up five new positions in Idlib province", "positions", "contradicts"),
    ("A total of 111 fighters were killed and 90 others wounded", "killed", "contradicts"),
    ("Turkey has 30,000 soldiers in Idlib province", "soldiers", "contradicts"),
]
# What lexical checks and sentence embeddings cannot tell apart (no NLI model offline): the same words, reversed.
REVERSALS = [
    ("Iran plans to withdraw its military advisers from Syria", "advisers", "none"),
    ("The Turkish army withdrew from Idlib", "deploy", "none"),
]
HITS = {k: hit(v, source=k) for k, v in S.items()}
COMMON = common_words(list(HITS.values()))


def _span(key: str) -> Span:
    t = S[key]
    return Span(0, 0, len(t), t, ((0, len(t)),))


@pytest.fixture(scope="module")
def measured(embedder):
    """(claim, key, want, facts, span facts, similarity) for every row of the table."""
    rows = TABLE + REVERSALS
    claims = embedder.embed([r[0] for r in rows])
    sents = dict(zip(S, embedder.embed(list(S.values())), strict=True))
    out = []
    for (claim, key, want), v in zip(rows, claims, strict=True):
        facts = claim_facts(claim, COMMON)
        out.append((claim, key, want, facts, span_facts(_span(key), HITS[key]), float(v @ sents[key])))
    return out


def test_support_table(measured):
    wrong = [
        (claim, want, judge(f, sf, sim).verdict)
        for claim, key, want, f, sf, sim in measured
        if (claim, key, want) in TABLE and judge(f, sf, sim).verdict != want
    ]
    assert wrong == []
    counts = {v: sum(1 for r in TABLE if r[2] == v) for v in ("supports", "none", "contradicts")}
    print(f"support table: {len(TABLE)} pairs {counts}, all judged as labelled")


@pytest.mark.xfail(strict=True, reason="no entailment model offline: a reversal in the same words passes")
def test_reversals_are_a_known_limit(measured):
    assert all(
        judge(f, sf, sim).verdict == want for c, k, want, f, sf, sim in measured if (c, k, want) in REVERSALS
    )


def test_thresholds_sit_in_the_gaps_of_the_table(measured):
    """min_similarity lies between the paraphrases that hold and the claims that don't (among those whose
    names, numbers and polarity match); min_coverage below every true paraphrase; full coverage is needed
    to skip the similarity because partial coverage (0.75, 0.8) admitted claims the sentence does not make."""
    eligible = []
    for claim, key, want, f, sf, sim in measured:
        j = judge(f, sf, None)
        if (claim, key, want) in TABLE and (j.pending or j.verdict == "supports"):
            eligible.append((want, j.coverage, sim, j.full))
    holds = [sim for want, cov, sim, full in eligible if want == "supports" and not full]
    fails = [sim for want, cov, sim, full in eligible if want != "supports"]
    assert max(fails) < RULES.min_similarity < min(holds)
    assert abs(RULES.min_similarity - (max(fails) + min(holds)) / 2) < 0.01  # the middle of the gap
    partial = [cov for want, cov, sim, full in eligible if want != "supports" and not full]
    assert max(partial) >= 0.75  # why support by words alone needs every word
    assert min(cov for want, cov, _, _ in eligible if want == "supports") >= RULES.min_coverage
    print(f"similarity gap {max(fails):.3f} .. {min(holds):.3f}; min_similarity {RULES.min_similarity}")


# ---------------------------------------------------------------- quotations

CONVOY = S["convoy"]


@pytest.mark.parametrize(
    ("quote", "status", "exact"),
    [
        ("The convoy headed towards al-Bara", "verbatim", "The convoy headed towards al-Bara"),
        (
            "the convoy  headed\ntowards al-Bara",
            "verbatim",
            "The convoy headed towards al-Bara",
        ),  # case, spaces
        (
            "to reinforce the Turkish positions there",
            "corrected",
            "to reinforce the [Turkish] positions there",
        ),
        (
            "The convoy went towards al-Bara and Kansafra",
            "corrected",
            "The convoy headed towards al-Bara and Kansafra",
        ),
        ("a decisive show of strength", "missing", ""),
    ],
)
def test_quotations_are_found_fixed_or_missing(quote, status, exact):
    f = find(quote, [hit(CONVOY, start=100)], [0], RULES.quote_min_ratio)
    assert (f.status, f.exact) == (status, exact)
    if status != "missing":
        assert CONVOY[f.start - 100 : f.end - 100] == exact


def test_curly_quotes_match_straight_ones():
    f = find("we are ready to negotiate from tomorrow.", [hit(S["bahri"])], [0], RULES.quote_min_ratio)
    assert f.status == "verbatim" and f.exact == "We are ready to negotiate from tomorrow."


# ---------------------------------------------------------------- offsets, as properties


class BagOfWords:
    """A deterministic stand-in embedder: hashed term counts, L2-normalised."""

    model_name = "bag-of-words"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 128), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in terms(t):
                out[i, zlib.crc32(w.encode()) % 128] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    def get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self.embed([query])[0]]


PARAS = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", TEXT) if len(m.group(0)) > 80]
PASSAGES = [hit(TEXT[s:e], start=s, source=DOC) for s, e in PARAS]
SENTENCES = [s for p in PASSAGES for s in re.split(r"(?<=[.!?])\s+", p.text) if len(s) > 20]


@st.composite
def model_answers(draw) -> str:
    """Answers built from passage sentences, altered ones, quotations, junk and markers of any kind."""
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        sent = draw(st.sampled_from(SENTENCES)).rstrip(".")
        kind = draw(st.sampled_from(["copy", "number", "quote", "junk", "half"]))
        if kind == "number":
            sent = re.sub(r"\d+", lambda m: str(int(m.group(0)) + 7), sent) + " and 9 tanks"
        elif kind == "quote":
            words = sent.split()
            i = draw(st.integers(0, max(0, len(words) - 3)))
            sent = f'The report said "{" ".join(words[i : i + draw(st.integers(1, 8))])}"'
        elif kind == "junk":
            sent = draw(st.text(alphabet="abc XYZ 12,.\"'“”[]()", max_size=40)) or "x"
        elif kind == "half":
            sent = " ".join(sent.split()[: len(sent.split()) // 2])
        marks = "".join(
            f"[{draw(st.integers(0, len(PASSAGES) + 2))}]" for _ in range(draw(st.integers(0, 2)))
        )
        parts.append(f"{sent} {marks}.")
    sep = draw(st.sampled_from([" ", "\n\n", "\n- "]))
    return sep.join(parts)


@given(model_answers(), st.booleans())
@settings(max_examples=150, deadline=None)
def test_every_kept_citation_quotes_the_document_exactly(raw, keep):
    marked = render(raw, len(PASSAGES))
    checked = check_claims(marked.text, marked.order, PASSAGES, BagOfWords(), keep_unsupported=keep)
    assert [c.id for c in checked.citations] == list(range(1, len(checked.citations) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", checked.text)} == {c.id for c in checked.citations}
    for c in checked.citations:
        assert TEXT[c.start : c.end] == c.quote and c.quote.strip() == c.quote and c.quote
        assert any(p.start <= c.start and c.end <= p.end for p in PASSAGES)
    assert checked.supported <= len(re.findall(r"\[\d+\]", checked.text))
    if not keep:
        assert "(unsupported)" not in checked.text


def test_kept_unsupported_claims_are_marked_and_uncited():
    text = "The London-based monitoring group reported that 20 Turkish military vehicles entered the area [1]. Turkey also flew 40 fighter jets over Aleppo [1]."
    marked = render(text, len(PASSAGES))
    kept = check_claims(marked.text, marked.order, PASSAGES, BagOfWords(), keep_unsupported=True)
    assert kept.text.endswith("Turkey also flew 40 fighter jets over Aleppo (unsupported).")
    assert kept.warnings == ["1 claim of the model's answer matched no passage and was marked (unsupported)."]
    removed = check_claims(marked.text, marked.order, PASSAGES, BagOfWords())
    assert "Aleppo" not in removed.text and removed.warnings == [REMOVED.format("1 claim", "was")]


# ---------------------------------------------------------------- small-model answers, end to end

QUESTION = "What did Turkey deploy in September?"


def run(llm_deps, server, scenario: str):
    """The scenario's answer, checked against whole passages: these scenarios test the claim check, and some
    of their claims come from sentences the compact evidence would leave out (then they are unsupported)."""
    from dataclasses import replace

    server.push(SCENARIOS[scenario])
    settings = llm_deps.settings.model_copy(update={"evidence_prompt": False})
    a = answer(QUESTION, [], replace(llm_deps, settings=settings))
    for c in a.citations:
        assert TEXT[c.start : c.end] == c.quote and c.source == DOC
    assert {int(n) for n in re.findall(r"\[(\d+)\]", a.answer)} == {c.id for c in a.citations}
    return a, [(c.start, c.end) for c in a.citations]


DEPLOYED = sentence_at("On 10 September, the Turkish army")
VEHICLES = sentence_at("The London-based monitoring group")
CONVOY_SENTENCE = sentence_at('"The convoy headed')


def test_a_facts_without_markers_get_their_sentences(llm_deps, server):
    a, spans = run(llm_deps, server, "unmarked")
    assert a.mode == "llm" and a.warnings == []
    assert a.answer == (
        "The Turkish army deployed reinforcements in Idlib on 10 September [1]. "
        "Twenty Turkish military vehicles entered the area through the Kafr Luzhin border crossing [2]."
    )
    assert spans == [DEPLOYED, VEHICLES]


def test_b_a_wrong_passage_is_replaced_by_the_right_sentence(llm_deps, server):
    hits = llm_deps.retriever.retrieve(QUESTION)
    assert "10 September" not in hits[0].text and "Kafr Luzhin" not in hits[1].text  # what the model cited
    a, spans = run(llm_deps, server, "wrong_passage")
    assert a.mode == "llm" and a.warnings == [] and spans == [DEPLOYED, VEHICLES]


def test_c_an_invented_claim_is_removed(llm_deps, server):
    a, spans = run(llm_deps, server, "invented")
    assert (
        a.answer
        == "Twenty Turkish military vehicles entered the area through the Kafr Luzhin border crossing [1]."
    )
    assert spans == [VEHICLES] and a.warnings == [REMOVED.format("1 claim", "was")]


def test_d_a_changed_number_is_a_contradiction(llm_deps, server):
    a, spans = run(llm_deps, server, "changed_number")
    assert a.answer == "The convoy headed towards al-Bara and Kansafra [1]."
    assert spans == [CONVOY_SENTENCE] and a.warnings == [CONTRADICTED.format("1 claim", "was")]


def test_e_an_altered_quotation_is_put_right_and_an_invented_one_removed(llm_deps, server):
    a, spans = run(llm_deps, server, "altered_quote")
    assert (
        a.answer
        == 'The monitoring group said the convoy went "to reinforce the [Turkish] positions there" [1].'
    )
    assert spans == [CONVOY_SENTENCE]
    assert a.warnings == [QUOTE_MISSING.format("1 claim", "was"), QUOTE_FIXED.format("1 quotation", "was")]


def test_no_supported_claim_falls_back_to_the_extractive_answer(llm_deps, server):
    server.push("Turkey also flew 40 fighter jets over Aleppo [3]. Erdogan ordered it [1].")
    a = answer(QUESTION, [], llm_deps)
    assert a.mode == "extractive" and a.warnings == [LLM_UNSUPPORTED] and a.citations


def test_keep_unsupported_claims_setting(llm_deps, server):
    s = llm_deps.settings.model_copy(update={"keep_unsupported_claims": True})
    deps = Deps(s, llm_deps.retriever, llm_deps.embedder, type(llm_deps.llm)(s, llm_deps.embedder))
    server.push(SCENARIOS["invented"])
    a = answer(QUESTION, [], deps)
    assert a.answer.endswith("Turkey also flew 40 fighter jets over Aleppo (unsupported).")
    assert len(a.citations) == 1 and "marked (unsupported)" in a.warnings[0]
