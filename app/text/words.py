"""Word normalisation shared by the keyword index and question analysis: stems, stopwords, demonyms."""

from __future__ import annotations

import re
from functools import lru_cache

from nltk.stem.snowball import EnglishStemmer

_WORD = re.compile(r"\d[\d,]*\d|[\w][\w'’.\-]*")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves said says say also
    according many much one two""".split()
)
# Country names and their adjectives share little spelling; news uses both.
_DEMONYMS = {
    "turkish": "turkey",
    "türkiye": "turkey",
    "turkiye": "turkey",
    "syrian": "syria",
    "russian": "russia",
    "iranian": "iran",
    "iraqi": "iraq",
    "israeli": "israel",
    "american": "us",
    "america": "us",
    "u.s": "us",
    "usa": "us",
    "british": "uk",
    "britain": "uk",
    "english": "england",
    "french": "franc",
    "german": "germani",
    "chinese": "china",
    "japanese": "japan",
    "kurdish": "kurd",
    "kurds": "kurd",
    "lebanese": "lebanon",
    "ukrainian": "ukrain",
    "egyptian": "egypt",
    "saudi": "saudi",
    "european": "europ",
    "indian": "india",
    "spanish": "spain",
    "italian": "itali",
    "dutch": "netherland",
    "welsh": "wale",
    "scottish": "scotland",
    "irish": "ireland",
    "australian": "australia",
}
DEMONYM_WORDS = frozenset(_DEMONYMS)
_stemmer = EnglishStemmer()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stem(word)


def normalise(word: str) -> str:
    w = word.lower().replace("’", "'").rstrip(".")
    if w[:1].isdigit():
        return w.replace(",", "")
    if w.endswith("'s"):
        w = w[:-2]
    return w.strip("'-").replace("'", "")


MIN_PART = 3  # parts of a hyphenated word kept as terms of their own (not the al- of al-Assad)


def terms(text: str) -> list[str]:
    """Stemmed content terms of a text (stopwords dropped), as used by BM25 and answer scoring."""
    out = []
    for m in _WORD.finditer(text):
        w = normalise(m.group(0))
        if w and w not in STOPWORDS:
            out.append(_term(w))
            if "-" in w and not w[:1].isdigit():  # "Istanbul-based": also istanbul, base (a question's words)
                out += [_term(x) for x in w.split("-") if len(x) >= MIN_PART and x not in STOPWORDS]
    return out


def _term(word: str) -> str:
    """A normalised word as a term: its country for a demonym, else its stem."""
    return _DEMONYMS.get(word) or stem(word)


def encodable(text: str) -> str:
    """text with what UTF-8 cannot encode (lone surrogates, as a JSON body may carry: "\\ud800") replaced by "?"."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
