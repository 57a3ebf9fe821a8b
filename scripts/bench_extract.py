"""Article extraction on trafilatura's public evaluation pages (../shared/eval/extraction, 884 pages).

Each page has snippets its main text must contain and snippets it must not (menus, footers, bylines, related
links, comments); precision, recall and F1 over the snippets are trafilatura's own method (the same as the data's
score_extraction.py). Rows:

- Sourced, HTML: `load_file` on each page of pages/, as a batch ingest of that folder reads it (with the
  folder's repetition counts); scored on the text of the document's body spans, what gets indexed.
- trafilatura defaults: `trafilatura.extract()` with no options, for reference.
- Sourced, plain text: `load_file` on the same pages scraped as plain text (txt/), with the folder's counts.
- keep every line: all of that plain text.

The pages are split into a tuning half (even positions in the sorted file names: the classifier's weights and
every threshold were set on it) and a held-out half (odd positions); both are reported. Times are per page
(p50) and in total; the folder's repetition counts are a separate pass, timed on its own.

Publication dates: the pages listed in tests/data/extraction_dates.tsv (dates checked by hand against what
each page shows) are compared with the date Sourced reads (htmldate).

    .venv/bin/python scripts/bench_extract.py [--data DIR] [--limit N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.settings import Settings  # noqa: E402
from app.text.documents import Document, SkipFile, folder_repetitions, load_file  # noqa: E402

DATES = ROOT / "tests" / "data" / "extraction_dates.tsv"


def norm(s: str) -> str:
    return " ".join(s.split())


def score(outputs: dict[str, str], names: list[str], entries: dict[str, dict]) -> tuple[float, float, float]:
    tp = fn = fp = 0
    for name in names:
        text = norm(outputs.get(name, ""))
        for s in entries[name].get("with", []):
            tp, fn = (tp + 1, fn) if norm(s) in text else (tp, fn + 1)
        fp += sum(norm(s) in text for s in entries[name].get("without", []))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def body(doc: Document) -> str:
    return "\n".join(doc.text[s:e] for s, e in doc.spans)


def run(names: list[str], one: Callable[[str], str]) -> tuple[dict[str, str], list[float]]:
    outputs, times = {}, []
    for name in names:
        t0 = time.perf_counter()
        outputs[name] = one(name)
        times.append(time.perf_counter() - t0)
    return outputs, times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "extraction")
    ap.add_argument("--limit", type=int, default=0, help="only the first N pages (a quick look)")
    ap.add_argument("--out", type=Path, help="write each row's outputs as JSONL (for score_extraction.py)")
    a = ap.parse_args()
    if not (a.data / "evaldata.json").exists():
        print(f"no benchmark data at {a.data}: skipped")
        return 0
    import trafilatura

    settings = Settings()
    entries = {
        e["file"]: e for e in json.loads((a.data / "evaldata.json").read_text(encoding="utf-8")).values()
    }
    names = sorted(p.name for p in (a.data / "pages").iterdir())
    if a.limit:
        names = names[: a.limit]
    halves = {"tuning half": names[0::2], "held-out half": names[1::2]}
    pages, txt = a.data / "pages", a.data / "txt"

    t0 = time.perf_counter()
    page_rep = folder_repetitions([pages / n for n in names], settings).get(pages)
    t_page_rep = time.perf_counter() - t0
    t0 = time.perf_counter()
    txt_rep = folder_repetitions([txt / f"{n}.txt" for n in names], settings).get(txt)
    t_txt_rep = time.perf_counter() - t0
    docs: dict[str, Document] = {}

    def sourced_html(name: str) -> str:
        try:
            docs[name] = load_file(pages / name, pages, settings, page_rep)
        except SkipFile:
            return ""
        return body(docs[name])

    def sourced_text(name: str) -> str:
        try:
            return body(load_file(txt / f"{name}.txt", txt, settings, txt_rep))
        except SkipFile:
            return ""

    def raw_html(name: str) -> str:
        data = (pages / name).read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode(settings.fallback_encoding, errors="replace")

    rows = [
        ("Sourced, HTML (pages/)", sourced_html, f"+ {t_page_rep:.1f} s folder counts"),
        ("trafilatura 2.3.1, extract() defaults", lambda n: trafilatura.extract(raw_html(n)) or "", ""),
        ("Sourced, plain text (txt/)", sourced_text, f"+ {t_txt_rep:.1f} s folder counts"),
        ("keep every line of the plain text", lambda n: (txt / f"{n}.txt").read_text(encoding="utf-8"), ""),
    ]
    print(f"{len(names)} pages; tuning half = even positions of the sorted names, held-out half = odd\n")
    print("| extractor | half | precision | recall | F1 | p50 a page | total |")
    print("|---|---|---|---|---|---|---|")
    for label, fn, note in rows:
        outputs, times = run(names, fn)
        if a.out:
            a.out.mkdir(parents=True, exist_ok=True)
            slug = label.split(",")[0].split()[0].lower() + "-" + str(rows.index((label, fn, note)))
            with open(a.out / f"{slug}.jsonl", "w", encoding="utf-8") as f:
                for n in names:
                    f.write(json.dumps({"file": n, "text": outputs[n]}, ensure_ascii=False) + "\n")
        p50 = f"{statistics.median(times) * 1000:.1f} ms"
        total = f"{sum(times):.1f} s {note}".strip()
        for half, hnames in [("all", names), *halves.items()]:
            p, r, f1 = score(outputs, hnames, entries)
            shown = (p50, total) if half == "all" else ("", "")
            print(
                f"| {label if half == 'all' else ''} | {half} | {p:.3f} | {r:.3f} | {f1:.3f} | {shown[0]} | {shown[1]} |"
            )
    print()
    dates(docs, names)
    return 0


def dates(docs: dict[str, Document], names: list[str]) -> None:
    """Accuracy of the publication date on the pages whose date was checked by hand."""
    if not DATES.exists():
        return
    checked = {}
    for line in DATES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, day = line.split("\t")[:2]
            checked[name] = day.strip()
    right = wrong = none = 0
    for name, day in checked.items():
        if name not in names:
            continue
        got = docs[name].published if name in docs else None
        if got is None:
            none += 1
        elif got == day:
            right += 1
        else:
            wrong += 1
            print(f"  date: {name}: read {got}, checked {day}")
    total = right + wrong + none
    if total:
        print(
            f"Publication date (htmldate) on {total} pages checked by hand: {right} right ({right / total:.1%}), "
            f"{wrong} wrong, {none} not found"
        )


if __name__ == "__main__":
    sys.exit(main())
