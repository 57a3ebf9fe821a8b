"""Table-driven tests of the kinds of question: which kind a question is, and the finders of why/how,
what-did-X-say, who-is and overview answers (app/answer/shapes/why.py, said.py, definitions.py, overview.py).

No index and no model: passages are built by hand; every term weighs the same.
"""

from __future__ import annotations

import pytest

from app.answer.question.cues import found, same_term
from app.answer.question.kinds import Kind, definition_subject, question_kind, split_said
from app.answer.shapes.definitions import define
from app.answer.shapes.overview import facts
from app.answer.shapes.said import said_sentences
from app.answer.shapes.why import event_terms, reason_sentences
from app.answer.shapes.windows import covers, table
from app.core.types import Hit
from app.text.words import terms
from tests.factories import make_hit


def idf(_: str) -> float:
    return 1.0


def _hit(
    text: str, source: str = "a.txt", start: int = 0, title: str = "T", published: str | None = None
) -> Hit:
    return make_hit(text, source=source, start=start, title=title, published=published)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Why did the court reject the case?", Kind.REASON),
        ("What prompted the company to recall its cables?", Kind.REASON),
        ("What is the real reason the army stays?", Kind.REASON),
        ("What were the warplanes trying to achieve by bombing the city?", Kind.REASON),
        ("How did the club manage to avoid relegation?", Kind.REASON),
        ("What is the real reason Turkey keeps troops there, according to the report?", Kind.REASON),
        ("How did the minister respond to the claims?", Kind.SAID),
        ("What was the analyst's assessment of the market, as he told Reuters?", Kind.SAID),
        ("What did the firm urge the chancellor to do?", Kind.SAID),
        ("Who is Jane Smith?", Kind.DEFINE),
        ("What are the Independent Spirit Awards?", Kind.DEFINE),
        ("What kind of group is the Revolutionary Army?", Kind.DEFINE),
        ("What does the abbreviation WHO stand for?", Kind.DEFINE),
        ("How is the Jabal area described in the report?", Kind.DEFINE),
        ("Who is the defense minister who attended the meeting?", Kind.FACTOID),
        ("What is the capital of France?", Kind.FACTOID),
        ("How many cables were recalled?", Kind.FACTOID),
        ("Did the shares rise after the ruling?", Kind.YESNO),
        ("Summarize what the articles say about Microsoft.", Kind.OVERVIEW),
        ("Why have the joint patrols stalled?", Kind.REASON),
        ("How did the convoy enter Syria?", Kind.REASON),
        ("What was the reason for the delay?", Kind.REASON),
        ("What do the Kurdish-led forces want a humanitarian corridor for?", Kind.REASON),
        ("What is the tunnel used for?", Kind.REASON),
        ("What party did he vote for?", Kind.FACTOID),
        ("What is the name of the group he works for?", Kind.FACTOID),
        ("How many soldiers died?", Kind.FACTOID),
        ("How much did it cost?", Kind.FACTOID),
        ("Who is Hakan Fidan?", Kind.DEFINE),
        ("What did Erdogan say about Idlib?", Kind.SAID),
        ("What did the ministry say?", Kind.SAID),
        ("Is Turkey sending troops?", Kind.YESNO),
        ("Did the talks resume?", Kind.YESNO),
        ("Summarize what the articles say about Iran's role", Kind.OVERVIEW),
        ("What do the articles say about HTS?", Kind.OVERVIEW),
        ("Give me an overview of the ceasefire", Kind.OVERVIEW),
        ("Which border crossing did the convoy use?", Kind.FACTOID),
    ],
)
def test_question_kind_recognises_the_kinds(question, kind):
    assert question_kind(question) is kind


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("Who is Hakan Fidan?", "Hakan Fidan"),
        ("What is Primer?", "Primer"),
        ("What kind of group is Hay'at Tahrir al-Sham?", "Hay'at Tahrir al-Sham"),
        ("How is the Jabal Al-Zawiya area described in the reporting?", "Jabal Al-Zawiya area"),
        ("What does the abbreviation SDF stand for?", "SDF"),
        ("What's Thomas Piketty's job?", "Thomas Piketty"),
        ("What was Jean-Marc Rickli's assessment of the fighters?", None),
        ("What is the English translation of the name?", None),
        ("Who is the mayor of Aleppo?", None),
    ],
)
def test_definition_subject(question, subject):
    assert definition_subject(question) == subject


@pytest.mark.parametrize(
    ("question", "speaker", "topic"),
    [
        (
            "What did Citigroup analyst Kyle Cooper say about the market?",
            "Citigroup analyst Kyle Cooper",
            "about the market",
        ),
        (
            "How did Hakan Fidan respond to claims of interference?",
            "Hakan Fidan",
            "to claims of interference",
        ),
        ("What did Ernst & Young urge Gordon Brown to do?", "Ernst & Young", "Gordon Brown to do"),
        ("What was Rickli's assessment of the fighters?", "Rickli's", "of the fighters"),
        ("What is the reason, according to the report?", None, None),
        ("Why did he say it?", None, None),
        (
            "What did Turkey position in Jabal Al-Zawiya?",
            None,
            None,
        ),  # a verb, not the noun of "X's position"
        ("What was the ministry's position on the talks?", "the ministry's", "on the talks"),
    ],
)
def test_split_said(question, speaker, topic):
    got = split_said(question)
    assert (got is None and speaker is None) or got == (speaker, topic)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("throw", "thrown", True),  # inflection by prefix
        ("send", "deploy", True),  # synonyms (cues.json)
        ("troop", "soldier", True),
        ("court", "count", False),
        ("uphold", "reject", False),
        ("10", "100", False),  # numbers never by prefix
    ],
)
def test_same_term(a, b, same):
    ta, tb = terms(a)[0], terms(b)[0]
    assert same_term(ta, tb) is same


@pytest.mark.parametrize(
    ("question_terms", "have", "article", "ok"),
    [
        ("court reject tobacco case", "court reject tobacco case", "", True),
        ("court reject tobacco case", "court tobacco case", "reject", True),  # one term, used elsewhere
        ("court uphold tobacco case", "court tobacco case thrown", "reject", False),  # a term it never uses
        ("microsoft replace xbox controllers", "microsoft replace xbox cables", "power", False),
        ("prices hit high", "prices high", "", True),  # a light verb need not be there
    ],
)
def test_covers(question_terms, have, article, ok):
    art = frozenset(terms(have + " " + article))
    assert covers(terms(question_terms), frozenset(terms(have)), art) is ok


@pytest.mark.parametrize(
    ("text", "subject", "answer"),
    [
        (
            "Turkish Foreign Minister Hakan Fidan said the talks went well.",
            "Hakan Fidan",
            "Turkish Foreign Minister",
        ),
        (
            "Yusuf Katipoglu, a member of the ruling party, told reporters it was so.",
            "Yusuf Katipoglu",
            "a member of the ruling party",
        ),
        (
            "It was said by Robbie Bach, senior vice president, at the show.",
            "Robbie Bach",
            "senior vice president",
        ),
        (
            "The Kurdish-led Syrian Democratic Forces (SDF) want a corridor.",
            "SDF",
            "Syrian Democratic Forces",
        ),
        ("Primer, a $7,000 tale of discovery, won top prize.", "Primer", "a $7,000 tale of discovery"),
        (
            "The sport was rocked by news that 10,000m hope Cathal Lombard had failed a test.",
            "Cathal Lombard",
            "10,000m hope",
        ),
        ("On Thursday, Paris, France, was quiet.", "Paris", None),
        (
            "It has slowed, according to Al Jazeera’s Sinem Koseoglu.",
            "Sinem Koseoglu",
            "Al Jazeera’s Sinem Koseoglu",
        ),
        ("Since 1963, the Festival of the Arts (FOTA) takes over campus.", "FOTA", "Festival of the Arts"),
        ("Economist Thomas Piketty challenges this notion.", "Thomas Piketty", "Economist"),
        (
            "Missiles went to the Jabal area, which is believed to be a key regime target.",
            "Jabal area",
            "a key regime target",
        ),
        ("Hakan Fidan said the talks went well.", "Hakan Fidan", None),
    ],
)
def test_define(text, subject, answer):
    d = define(subject, table([_hit(text, start=7)]))
    assert (d.text if d else None) == answer
    if d:
        doc = " " * 7 + text
        assert doc[d.start : d.end] == d.text


def test_reason_finds_the_cause_and_refuses_a_changed_question():
    text = (
        "A claim against tobacco firms has been thrown out by an appeal court. "
        "The court found that the case could not be brought under anti-racketeering laws. "
        "Shares of tobacco firms rose after the ruling because investors were relieved."
    )
    tab = table([_hit(text)])
    got = reason_sentences("Why did shares of tobacco firms rise?", tab, idf)
    assert [s.text for s in got] == [
        "Shares of tobacco firms rose after the ruling because investors were relieved."
    ]
    assert reason_sentences("Why did the appeal court uphold the tobacco claim?", tab, idf) == []
    assert reason_sentences("Why did shares of oil firms rise in 2021?", tab, idf) == []
    assert "why" not in event_terms("Why did shares rise?")


def test_said_needs_the_speaker_and_the_topic():
    text = (
        '"This market simply wants to go up," analyst Kyle Cooper told Reuters. '
        'Ed Silliere added: "Gasoline is up because of the refinery issues in Texas." '
        "Opec's announcement that it was unlikely to cut production failed to calm fears."
    )
    tab = table([_hit(text)])
    got = said_sentences("What did analyst Kyle Cooper say about the market?", tab, idf)
    assert got and "simply wants to go up" in got[0].text
    assert said_sentences("What did Kyle Cooper say about gasoline in Texas?", tab, idf) == []
    assert said_sentences("What did Opec's president say about cutting production?", tab, idf) == []
    assert said_sentences("Why did prices rise?", tab, idf) is None  # not a what-did-X-say question


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Summarize what the articles say about Israeli airstrikes in Syria.", "airstrik"),
        ("Summarize the articles' reporting on normalization between Ankara and Damascus.", "normal"),
        ("What do the articles say about Iran's role in the Syrian conflict?", None),
        ("What do the articles say about Microsoft?", "microsoft"),
    ],
)
def test_overview_head_term(question, head):
    from app.answer.shapes.overview import head_term

    assert head_term(question) == head


def test_overview_reads_every_retrieved_sentence_and_needs_the_subjects_names():
    h1 = _hit(
        "Microsoft will replace 14 million Xbox cables. The weather was cold.",
        "a.txt",
        published="2005-01-02",
    )
    h2 = _hit("Microsoft released eight critical patches for Windows.", "b.txt", published="2005-01-01")
    got = facts("What do the articles say about Microsoft?", [], [h1, h2])
    assert [s.text for s in got] == [
        "Microsoft released eight critical patches for Windows.",
        "Microsoft will replace 14 million Xbox cables.",
    ]
    assert facts("Summarize what the articles say about Apple's iPod sales.", [], [h1, h2]) == []
    assert facts("What do the articles say about Microsoft's job cuts in Windows?", [], [h1, h2]) == []
    assert found(terms("deployed")[0], set(terms("sent troops")))
    assert found(terms("Turkish-Russian")[0], set(terms("between Turkey and Russia")))


@pytest.mark.parametrize(
    ("question", "sentence", "stated"),
    [
        (
            "Did shares of tobacco firms rise after the ruling?",
            "Shares of tobacco firms rose after the ruling.",
            True,
        ),
        (
            "Did shares of tobacco firms fall after the ruling?",
            "Shares of tobacco firms rose after the ruling.",
            True,
        ),
        ("Was the decision to reject the case unanimous?", "The case was rejected in a 2-1 decision.", False),
        ("Did Cragg win the 10,000m final?", "Cragg qualified for the 5,000m final.", False),
    ],
)
def test_yes_or_no_only_when_a_sentence_states_it(question, sentence, stated):
    from app.answer.shapes.yesno import states

    tab = table([_hit(sentence)])
    assert states(question, tab.sents[0].scored(1.0), tab) is stated


def test_how_questions_want_a_means_and_a_passive_by_is_no_means():
    text = (
        "Turkey halted the regime offensive in Idlib last year. "
        "Turkey halted the regime offensive in Idlib by shooting down dozens of aircraft."
    )
    got = reason_sentences("How did Turkey halt the regime offensive in Idlib?", table([_hit(text)]), idf)
    assert [s.text for s in got] == [
        "Turkey halted the regime offensive in Idlib by shooting down dozens of aircraft."
    ]
    text = (
        "Ctenophores control their buoyancy with osmotic pumps that adjust the fluid in their bodies. "
        "In bays, predation by ctenophores may control the populations of plankton."
    )
    got = reason_sentences("How do ctenophores control buoyancy?", table([_hit(text)]), idf)
    assert got and got[0].text.startswith("Ctenophores control their buoyancy")


def test_a_follow_up_why_leans_on_the_earlier_questions_event():
    text = (
        "On 10 September, the Turkish army deployed reinforcements in Idlib. "
        "The deployment of reinforcements in Idlib came after an intense round of clashes."
    )
    tab = table([_hit(text)])
    assert reason_sentences("Why?", tab, idf) is None  # no event of its own: left to the general reader
    got = reason_sentences(
        "Why did they do that?", tab, idf, context="What did Turkey deploy in Idlib on 10 September?"
    )
    assert got and "intense round of clashes" in got[-1].text
