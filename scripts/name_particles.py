"""Measures the name-particle rule (app/answer/reader/spans.py: name_end) on gold answers of the SQuAD 2.0
training articles: how many gold answers hold a name a span could be cut inside ("Leonardo da Vinci": mended),
and how many gold answers ending in a capitalised word the rule would lengthen wrongly (hurt).

    python scripts/name_particles.py [--train ../shared/eval/squad2/train.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.answer.reader.spans import NAME_PARTICLES, name_end  # noqa: E402

INSIDE = re.compile(r"[A-Z][\w'’]*[ -](?:{})[ -][A-Z]".format("|".join(NAME_PARTICLES)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=Path, default=ROOT.parent / "shared/eval/squad2/train.jsonl")
    args = ap.parse_args()
    docs_dir = args.train.parent / "docs"
    docs: dict[str, str] = {}
    mended: list[str] = []
    hurt: list[str] = []
    seen = 0
    for line in args.train.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if not q.get("sources"):
            continue  # an unanswerable question names no source
        src = q["sources"][0]
        text = docs.setdefault(src, (docs_dir / src).read_text(encoding="utf-8"))
        for alts in q.get("expect") or []:
            gold = alts[0]
            for m in re.finditer(re.escape(gold), text):
                seen += 1
                if name_end(text, m.start(), m.end()) != m.end():
                    hurt.append(f"{gold!r} + {text[m.end() : m.end() + 25]!r}")
                if INSIDE.search(gold):
                    mended.append(gold)
    print(f"gold answer occurrences: {seen}")
    print(f"holding a name with a particle (a cut there is mended): {len(mended)} {sorted(set(mended))}")
    print(f"lengthened wrongly by the rule: {len(hurt)} {hurt[:20]}")


if __name__ == "__main__":
    main()
