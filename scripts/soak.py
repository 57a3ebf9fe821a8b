"""Soak: mixed traffic against a live `sourced serve` on loopback for a while, then the figures.

    python scripts/soak.py --minutes 20 --out soak.json

Builds its own index of a copy of seeds/ in a temporary folder (or takes --index-dir/--docs-dir), starts the real
server as its own process (extractive, an admin token, the per-client rate limit off: every request comes from
this one client) and drives it at a fixed rate (--rate requests per second over --workers clients, well within
what the answer queue clears on 2 cores): questions, follow-ups with their history, /v1 chat completions streamed
and not, timelines, feedback on the answers, and an editor who uploads articles and deletes them again.

Figures: requests and 5xx by kind; every citation of every answer checked against its article (the quote must be
the document's text at the cited offsets, fetched with GET /api/documents/{source}); latency p50/p95 per kind and
over all answers in the first and the last window (a quarter of the run, at most 5 minutes), and their drift;
the server's RSS sampled every second, its peak after warm-up (the first window) against the peak during it; and
last, `sourced check` over the folders the index covers. Exit status 1 when a target is missed (0 x 5xx, every
citation exact, p95 drift <= 20%, RSS growth <= 10%, check clean)."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "soak-admin-token"
QUESTIONS = [
    ("What did Turkey deploy in September?", "Where were they headed?"),
    ("Which border crossing did the convoy use?", "Who backs them?"),
    ("Who is Yusuf Katipoglu?", "Which party is he a member of?"),
    ("Which group led the offensive on Aleppo?", "Who backs them?"),
    ("How many Turkish soldiers were in Idlib province?", "What did Turkey deploy?"),
    ("What missiles did Turkey place in Jabal Al-Zawiya?", "Where were they headed?"),
    ("Which Iraqi groups crossed into Syria?", "Who backs them?"),
    ("How many people were displaced by the regime's last campaign in Idlib?", "Who led it?"),
    ("Who won the 2022 FIFA World Cup?", "Who was the top scorer?"),  # refusals too
    ("What is the capital of France?", "And of Spain?"),
]
TIMELINES = ["Turkish deployments", "Idlib", "the offensive on Aleppo", "aid convoys"]
KINDS = ("ask", "follow-up", "v1", "v1-stream", "timeline", "feedback", "upload", "delete")
WEIGHTS = (30, 20, 12, 12, 10, 8, 4, 4)
UPLOAD = """Aid convoy {n} reaches Idlib after a delay

A convoy of {trucks} trucks carrying food and medicine crossed into Idlib province on {day}, the United Nations
said. The trucks used the Bab al-Hawa crossing on the Turkish border, the only route approved for aid deliveries.
Officials said convoy {n} had been held up by fighting near the road and by checks at the border crossing.
About {people} people in the province depend on the deliveries, according to aid groups working there.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


@dataclass
class Figures:
    started: float
    requests: Counter[str] = field(default_factory=Counter)
    five_xx: Counter[str] = field(default_factory=Counter)
    other_errors: Counter[str] = field(
        default_factory=Counter
    )  # 4xx other than the expected, transport errors
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[tuple[float, str, float]] = field(default_factory=list)  # (when, kind, seconds)
    citations: int = 0
    citations_unverified: int = 0  # their article was deleted before it could be fetched
    citation_errors: list[dict[str, Any]] = field(default_factory=list)
    uploaded: int = 0
    deleted: int = 0
    rss: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Soak:
    def __init__(self, url: str, fig: Figures, seed: int, rate: float, workers: int, until: float) -> None:
        self.url, self.fig, self.rate, self.workers, self.until = url, fig, rate, workers, until
        self.rng = random.Random(seed)
        self.texts: dict[str, str] = {}  # document text by source, fetched once (uploads have unique names)
        self.uploads: list[str] = []
        self.answers: list[dict[str, Any]] = []  # recent answers, for feedback
        self.n = 0
        self.mu = threading.Lock()

    # ---- one request of each kind -------------------------------------------------------------------------
    def _record(self, kind: str, status: int, seconds: float, when: float) -> None:
        with self.fig.lock:
            self.fig.requests[kind] += 1
            self.fig.statuses[f"{kind} {status}"] += 1
            if status >= 500:
                self.fig.five_xx[kind] += 1
            self.fig.latencies.append((when - self.fig.started, kind, seconds))

    def _check(self, client: httpx.Client, citations: list[dict[str, Any]], kind: str) -> None:
        for c in citations:
            source = c["source"]
            text = self.texts.get(source)
            if text is None:
                r = client.get(f"{self.url}/api/documents/{source}", headers=self.admin)
                if r.status_code == 404:
                    with self.fig.lock:
                        self.fig.citations_unverified += 1
                    continue
                text = r.json()["text"]
                self.texts[source] = text
            with self.fig.lock:
                self.fig.citations += 1
                if text[c["start"] : c["end"]] != c["quote"]:
                    self.fig.citation_errors.append({"kind": kind, **c})

    admin = {"Authorization": f"Bearer {TOKEN}"}

    def one(self, client: httpx.Client, kind: str, rng: random.Random) -> None:
        first, follow = rng.choice(QUESTIONS)
        t0 = time.monotonic()
        cites: list[dict[str, Any]] = []
        if kind in ("ask", "follow-up"):
            body: dict[str, Any] = {"question": first}
            if kind == "follow-up":
                r0 = client.post(f"{self.url}/api/ask", json={"question": first})
                self._record("ask", r0.status_code, time.monotonic() - t0, t0)
                prev = r0.json().get("answer", "") if r0.status_code == 200 else ""
                self._check(client, r0.json().get("citations", []) if r0.status_code == 200 else [], "ask")
                body = {
                    "question": follow,
                    "history": [{"role": "user", "content": first}, {"role": "assistant", "content": prev}],
                }
                t0 = time.monotonic()
            r = client.post(f"{self.url}/api/ask", json=body)
            if r.status_code == 200:
                d = r.json()
                cites = d["citations"]
                with self.mu:
                    self.answers = [*self.answers[-20:], d]
        elif kind == "v1":
            r = client.post(
                f"{self.url}/v1/chat/completions",
                json={"model": "sourced", "messages": [{"role": "user", "content": first}]},
            )
            if r.status_code == 200:
                cites = r.json()["citations"]
        elif kind == "v1-stream":
            body = {
                "model": "sourced",
                "stream": True,
                "messages": [
                    {"role": "user", "content": first},
                    {"role": "assistant", "content": "…"},
                    {"role": "user", "content": follow},
                ],
            }
            with client.stream("POST", f"{self.url}/v1/chat/completions", json=body) as r:
                status = r.status_code
                for line in r.iter_lines():
                    if line.startswith("data: {"):
                        event = json.loads(line[6:])
                        if "error" in event:
                            status = 500 if event["error"].get("type") == "server_error" else status
                        cites = event.get("citations", cites)
            self._record(kind, status, time.monotonic() - t0, t0)
            self._check(client, cites, kind)
            return
        elif kind == "timeline":
            r = client.get(f"{self.url}/api/timeline", params={"q": rng.choice(TIMELINES)})
            if r.status_code == 200:
                cites = [e["citation"] for e in r.json()["events"]]
        elif kind == "feedback":
            with self.mu:
                a = rng.choice(self.answers) if self.answers else None
            body = {
                "rating": rng.choice(["up", "down"]),
                "question": a["question"] if a else first,
                "answer": a["answer"] if a else "",
                "comment": "soak",
                "mode": "extractive",
                "citations": a["citations"][:3] if a else [],
            }
            r = client.post(f"{self.url}/api/feedback", json=body)
        elif kind == "upload":
            with self.mu:
                self.n += 1
                n = self.n
            text = UPLOAD.format(
                n=n,
                trucks=rng.randint(5, 90),
                day=rng.choice(["Monday", "Tuesday", "Friday"]),
                people=f"{rng.randint(1, 9)}.{rng.randint(0, 9)} million",
            )
            name = f"soak-{n:05d}.txt"
            r = client.post(
                f"{self.url}/api/documents", headers=self.admin, files={"files": (name, text.encode())}
            )
            if r.status_code == 200 and r.json()["documents"]:
                with self.mu:
                    self.uploads.append(r.json()["documents"][0]["source"])
                with self.fig.lock:
                    self.fig.uploaded += 1
        elif kind == "delete":
            with self.mu:
                source = self.uploads.pop(0) if len(self.uploads) > 2 else None
            if source is None:
                return
            r = client.delete(f"{self.url}/api/documents/{source}", headers=self.admin)
            if r.status_code == 200:
                with self.fig.lock:
                    self.fig.deleted += 1
        else:
            raise ValueError(kind)
        self._record(kind, r.status_code, time.monotonic() - t0, t0)
        if r.status_code >= 400 and r.status_code < 500:
            with self.fig.lock:
                self.fig.other_errors[f"{kind} {r.status_code}"] += 1
        self._check(client, cites, kind)

    # ---- the traffic -----------------------------------------------------------------------------------
    def worker(self, i: int) -> None:
        rng = random.Random(self.rng.random() + i)
        gap = self.workers / self.rate
        nxt = time.monotonic() + rng.random() * gap
        with httpx.Client(timeout=120) as client:
            while time.monotonic() < self.until:
                time.sleep(max(0.0, nxt - time.monotonic()))
                nxt += gap
                kind = rng.choices(KINDS, WEIGHTS)[0]
                try:
                    self.one(client, kind, rng)
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    with self.fig.lock:
                        self.fig.other_errors[f"{kind} {type(exc).__name__}"] += 1

    def run(self, pid: int) -> None:
        threads = [threading.Thread(target=self.worker, args=(i,), daemon=True) for i in range(self.workers)]
        for t in threads:
            t.start()
        while time.monotonic() < self.until:
            self.fig.rss.append((time.monotonic() - self.fig.started, rss_kb(pid)))
            time.sleep(1.0)
        for t in threads:
            t.join(timeout=180)


def build_index(base: Path) -> tuple[Path, Path]:
    docs, index = base / "docs", base / "index"
    shutil.copytree(ROOT / "seeds", docs)
    sourced = Path(sys.executable).parent / "sourced"
    subprocess.run(
        [str(sourced), "ingest", str(docs), "--index-dir", str(index), "--quiet"], check=True, cwd=ROOT
    )
    return docs, index


def start_server(index: Path, documents: Path, feedback: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "SOURCED_INDEX_DIR": str(index),
        "SOURCED_DOCUMENTS_DIR": str(documents),
        "SOURCED_FEEDBACK_PATH": str(feedback),
        "SOURCED_ADMIN_TOKEN": TOKEN,
        "SOURCED_RATE_LIMIT_PER_MINUTE": "0",
        "SOURCED_ANSWER_MODE": "extractive",
        "SOURCED_LOG_LEVEL": "ERROR",
    }
    env.pop("CHROMA_HOST", None)
    cmd = [str(Path(sys.executable).parent / "sourced"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.25)
    proc.kill()
    raise RuntimeError(
        f"the server did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
    )


def summarise(fig: Figures, seconds: float, warmup: float, window: float) -> dict[str, Any]:
    answers = {"ask", "follow-up", "v1", "v1-stream", "timeline"}
    lat = [(t, k, s) for t, k, s in fig.latencies if k in answers]
    first = [s for t, _, s in lat if t < window]
    last = [s for t, _, s in lat if t >= seconds - window]
    p95_first, p95_last = pct(first, 0.95), pct(last, 0.95)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for _, k, s in fig.latencies:
        by_kind[k].append(s)
    warm = [r for t, r in fig.rss if t < warmup and r]
    after = [r for t, r in fig.rss if t >= warmup and r]
    peak_warm, peak_after = (max(warm) if warm else 0), (max(after) if after else 0)
    return {
        "seconds": round(seconds),
        "requests": sum(fig.requests.values()),
        "requests_by_kind": dict(fig.requests),
        "rate_per_s": round(sum(fig.requests.values()) / seconds, 2),
        "5xx": sum(fig.five_xx.values()),
        "5xx_by_kind": dict(fig.five_xx),
        "4xx_and_transport_errors": dict(fig.other_errors),
        "statuses": dict(fig.statuses),
        "citations_checked": fig.citations,
        "citations_not_exact": len(fig.citation_errors),
        "citation_errors": fig.citation_errors[:10],
        "citations_of_deleted_articles": fig.citations_unverified,
        "uploaded": fig.uploaded,
        "deleted": fig.deleted,
        "latency_ms_by_kind": {
            k: {
                "n": len(v),
                "p50": round(1000 * statistics.median(v)),
                "p95": round(1000 * (pct(v, 0.95) or 0)),
            }
            for k, v in sorted(by_kind.items())
        },
        "window_s": round(window),
        "answers_first_window": len(first),
        "answers_last_window": len(last),
        "p95_first_ms": round(1000 * p95_first) if p95_first else None,
        "p95_last_ms": round(1000 * p95_last) if p95_last else None,
        "p95_drift": round(p95_last / p95_first - 1, 3) if p95_first and p95_last else None,
        "warmup_s": round(warmup),
        "rss_peak_warmup_mb": round(peak_warm / 1024, 1),
        "rss_peak_after_mb": round(peak_after / 1024, 1),
        "rss_growth": round(peak_after / peak_warm - 1, 3) if peak_warm else None,
        "rss_start_mb": round(fig.rss[0][1] / 1024, 1) if fig.rss else None,
        "rss_end_mb": round(fig.rss[-1][1] / 1024, 1) if fig.rss else None,
    }


def soak(seconds: float, rate: float, workers: int, seed: int, base: Path) -> dict[str, Any]:
    docs, index = build_index(base)
    documents, feedback = base / "documents", base / "feedback.sqlite3"
    proc, url = start_server(index, documents, feedback)
    load_before = os.getloadavg()
    try:
        fig = Figures(started=time.monotonic())
        Soak(url, fig, seed, rate, workers, fig.started + seconds).run(proc.pid)
        elapsed = time.monotonic() - fig.started
        window = min(300.0, elapsed / 4)
        out = summarise(fig, elapsed, warmup=window, window=window)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    sourced = Path(sys.executable).parent / "sourced"
    folders = [str(docs)] + ([str(documents)] if documents.exists() else [])
    check = subprocess.run(
        [str(sourced), "check", *folders, "--index-dir", str(index)], capture_output=True, text=True, cwd=ROOT
    )
    out.update(
        {
            "check_exit": check.returncode,
            "check_output": (check.stdout + check.stderr)[-2000:],
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "rate_target_per_s": rate,
            "workers": workers,
            "seed": seed,
        }
    )
    out["targets_met"] = {
        "no_5xx": out["5xx"] == 0,
        "citations_exact": out["citations_not_exact"] == 0 and out["citations_checked"] > 0,
        "p95_drift_within_20pct": out["p95_drift"] is not None and out["p95_drift"] <= 0.20,
        "rss_growth_within_10pct": out["rss_growth"] is not None and out["rss_growth"] <= 0.10,
        "check_clean": check.returncode == 0,
    }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--rate", type=float, default=3.0, help="requests per second, all workers together")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--out", help="write the figures here as JSON")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sourced-soak-") as tmp:
        out = soak(args.minutes * 60, args.rate, args.workers, args.seed, Path(tmp))
    text = json.dumps(out, indent=1, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if all(out["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
