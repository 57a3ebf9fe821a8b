"""The cost of reading each hostile file kind (tests/hostile.py) with the default bounds: each kind's first
seed-fixed example (its largest, where the kind has a size) read by load_file in a fresh process, so its peak RSS
is its own.

    python scripts/hostile_files.py [--out hostile.json]   # a Markdown table on stdout

Reading is what the bounds cover (max_file_bytes, max_document_chars, max_pdf_pages, max_pdf_seconds,
max_html_attributes); embedding an accepted file costs what any article of its length does."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, tempfile, time, warnings
from pathlib import Path
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[2])
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.hostile import BY_NAME
from app.core.settings import Settings
from app.text.documents import SkipFile, load_file
import app.text.html, trafilatura, pypdf  # imported before the baseline

kind = BY_NAME[sys.argv[1]]
got = []

@settings(max_examples=1, derandomize=True, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(kind.files)
def first(f):
    got.append(f)

first()
name, data = got[0]
folder = Path(tempfile.mkdtemp())
(folder / name).write_bytes(data)
del got[:], data
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.monotonic()
try:
    doc = load_file(folder / name, folder, Settings(index_dir=folder / "index"))
    outcome = {"indexed": True, "chars": len(doc.text)}
except SkipFile as exc:
    outcome = {"refused": str(exc)}
seconds = time.monotonic() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
size = (folder / name).stat().st_size
print(json.dumps({"kind": kind.name, "bytes": size, "seconds": round(seconds, 2),
                  "rss_growth_mb": round((peak - base) / 1024), "peak_rss_mb": round(peak / 1024), **outcome}))
"""


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from tests.hostile import KINDS

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out")
    args = ap.parse_args()
    rows = []
    for kind in KINDS:
        run = subprocess.run(
            [sys.executable, "-c", CHILD, kind.name, str(ROOT)], capture_output=True, text=True, timeout=600
        )
        if run.returncode != 0:
            rows.append({"kind": kind.name, "error": run.stderr.strip().splitlines()[-1:]})
        else:
            rows.append({**json.loads(run.stdout.strip().splitlines()[-1]), "what": kind.what})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("| kind | file | outcome | read s | RSS growth MB |")
    print("|---|---:|---|---:|---:|")
    for r in rows:
        outcome = (
            f"refused: {r['refused']}"
            if "refused" in r
            else "indexed"
            if r.get("indexed")
            else r.get("error")
        )
        print(
            f"| {r.get('what', r['kind'])} | {r.get('bytes', 0):,} B | {outcome} | {r.get('seconds')} | {r.get('rss_growth_mb')} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
