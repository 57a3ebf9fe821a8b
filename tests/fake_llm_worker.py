"""A scripted stand-in for the llama.cpp worker (app/answer/llm/worker.py): the same pipe protocol, no model.

config["script"] is a list of what to do for each request, in turn:
  "text:<reply>"   stream the reply word by word, then done
  "segv"           die of a segmentation fault mid-request (as a wrongly built llama.cpp did)
  "exit"           exit at once with code 3
  "hang"           never reply (until cancelled or killed)
  "slow:<reply>"   a word every 0.3 s, stopping when cancelled
  "stall:<reply>"  3 s deaf to the pipe first (as llama.cpp reading a long prompt), then as text
A file config["log"], when given, gets one line per worker start (its pid), so a test can count restarts;
a restarted worker plays config["after"] instead of config["script"] when that is given.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def serve(conn: Any, config: dict[str, Any]) -> None:
    if config.get("log"):
        with open(config["log"], "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
    if config.get("fail_load"):
        conn.send(("error", "local model failed to load: ValueError"))
        return
    conn.send(("ready", {}))
    script = list(config["script"])
    if config.get("log") and config.get("after"):  # a restarted worker plays config["after"]
        with open(config["log"], encoding="utf-8") as f:
            if len(f.read().split()) > 1:
                script = list(config["after"])
    n = 0
    while True:
        try:
            req = conn.recv()
        except EOFError:
            return
        if req is None:
            return
        if req == "cancel":
            continue
        step = script[n % len(script)]
        n += 1
        if step == "segv":
            conn.send(("piece", "Half "))
            time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGSEGV)
        if step == "exit":
            os._exit(3)
        if step == "hang":
            while not conn.poll(0.05):
                pass
            conn.recv()
            conn.send(("done", _stats("cancelled")))
            continue
        kind, _, reply = step.partition(":")
        if kind == "stall":
            time.sleep(3.0)
        stopped = False
        for word in reply.split(" "):
            if kind == "slow":
                time.sleep(0.3)
            if conn.poll() and conn.recv() == "cancel":
                stopped = True
                break
            conn.send(("piece", word + " "))
        conn.send(("done", _stats("cancelled" if stopped else "stop")))


def _stats(finish: str) -> dict[str, Any]:
    return {
        "prompt_tokens": 10,
        "reused": 0,
        "read": 10,
        "completion_tokens": 3,
        "first_s": 0.0,
        "total_s": 0.0,
        "finish": finish,
    }
