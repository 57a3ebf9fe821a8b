"""Run one question set through the offline reader and score it with the shared scorer (verbose).

    python scripts/eval_kinds.py QUESTIONS DOCS_DIR [--index DIR] [--out ANSWERS] [--reader fast]
    python scripts/eval_kinds.py tests/questions_reader_bbc.jsonl tests/questions_reader_bbc.files

The index of DOCS_DIR is built once under --index (default: a temp folder named after DOCS_DIR). A `.files`
list (paths under ../shared/corpora/bbc/) is copied first into a temp folder as CATEGORY_NNN.txt.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer.pipeline import answer, load_deps  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.ingest import ingest  # noqa: E402
from app.store.embeddings import OnnxMiniLMEmbedding  # noqa: E402

SCORER = ROOT.parent / "shared" / "eval" / "score.py"
BBC = ROOT.parent / "shared" / "corpora" / "bbc"


def bbc_folder(files: Path) -> Path:
    """The articles a .files list names, copied as CATEGORY_NNN.txt into one temp folder."""
    out = Path(tempfile.gettempdir()) / f"sourced-kinds-{files.stem}"
    out.mkdir(exist_ok=True)
    for line in files.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            shutil.copy(BBC / line.strip(), out / line.strip().replace("/", "_"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("questions", type=Path)
    ap.add_argument("docs", type=Path)
    ap.add_argument("--index", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--reader", default="fast")
    args = ap.parse_args()
    if args.docs.suffix == ".files":
        args.docs = bbc_folder(args.docs)
    index = args.index or Path(tempfile.gettempdir()) / f"sourced-kinds-{args.docs.resolve().name}-index"
    if not index.exists():
        ingest([args.docs], Settings(index_dir=index), OnnxMiniLMEmbedding())
    deps = load_deps(Settings(index_dir=index, answer_mode="extractive", reader=args.reader))
    rows = [json.loads(x) for x in args.questions.read_text(encoding="utf-8").splitlines() if x.strip()]
    out = args.out or Path(tempfile.gettempdir()) / f"sourced-kinds-{args.questions.stem}.answers.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        for q in rows:
            f.write(json.dumps(answer(q["question"], q.get("history", []), deps).to_dict()) + "\n")
    cmd = [sys.executable, str(SCORER), str(args.questions), str(out), "--seeds", str(args.docs), "--verbose"]
    return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
