"""A loopback OpenAI-compatible server for tests: /v1/chat/completions (SSE included), scripted replies and faults."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET_BODY = "upstream-secret-body"

# What small models do to "What did Turkey deploy in September?" over the seeds (retrieved passage 1 is the
# 1 September raid, 2 the Turkish positions of June 2020, 3 the 10 September deployment). Each states facts of
# passage 3 (001_f4fb8e769c839d13.txt) and gets one thing wrong.
SCENARIOS = {
    "unmarked": "The Turkish army deployed reinforcements in Idlib on 10 September. "
    "Twenty Turkish military vehicles entered the area through the Kafr Luzhin border crossing.",
    "wrong_passage": "The Turkish army deployed reinforcements in Idlib on 10 September [1]. "
    "Twenty Turkish military vehicles entered the area through the Kafr Luzhin border crossing [2].",
    "invented": "Twenty Turkish military vehicles entered the area through the Kafr Luzhin border crossing [3]. "
    "Turkey also flew 40 fighter jets over Aleppo [3].",
    "changed_number": "Thirty Turkish military vehicles entered the area through the Kafr Luzhin border "
    "crossing [3]. The convoy headed towards al-Bara and Kansafra [3].",
    "altered_quote": 'The monitoring group said the convoy went "to reinforce the Turkish positions there" [3]. '
    'Its report called the move "a decisive show of strength" [3].',
}


@dataclass
class Reply:
    """One scripted response: kind is text | status | hang | cut."""

    kind: str = "text"
    text: str = ""
    status: int = 200
    chunk: int = 6  # characters per streamed delta


def free_port() -> int:
    """A loopback port nobody listens on (for 'connection refused')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeOpenAI:
    """Serves scripted replies in order (the default reply when the script is empty) and records requests."""

    def __init__(self, default: str = "The articles don't say.") -> None:
        self.script: deque[Reply] = deque()
        self.default = Reply(text=default)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                reply = fake.script.popleft() if fake.script else fake.default
                fake.respond(self, reply, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *a: None  # type: ignore[method-assign]  # client hang-ups are expected
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    def push(self, *replies: Reply | str) -> None:
        """Queue replies (a str is a text reply)."""
        self.script.extend(Reply(text=r) if isinstance(r, str) else r for r in replies)

    def reset(self) -> None:
        self.script.clear()
        self.requests.clear()
        self.headers.clear()

    def respond(self, h: BaseHTTPRequestHandler, reply: Reply, body: dict[str, Any]) -> None:
        """Write one scripted reply."""
        if reply.kind == "hang":
            self.stop.wait(30)
            return
        if reply.kind == "status":
            payload = json.dumps(
                {
                    "error": {
                        "message": f"{SECRET_BODY}: key {h.headers.get('Authorization')}",
                        "type": "fake",
                        "code": reply.status,
                    }
                }
            ).encode()
            h.send_response(reply.status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            return
        if not body.get("stream"):
            msg = {"role": "assistant", "content": reply.text}
            payload = json.dumps(
                {
                    "id": "c1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model"),
                    "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
                }
            ).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        pieces = [reply.text[i : i + reply.chunk] for i in range(0, len(reply.text), reply.chunk)]
        for piece in pieces:
            self._event(h, _chunk(body, {"content": piece}, None))
            time.sleep(0.002)
        if reply.kind == "cut":
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        self._event(h, _chunk(body, {}, "stop"))
        self._write(h, b"data: [DONE]\n\n")
        self._write(h, b"")

    def _event(self, h: BaseHTTPRequestHandler, data: dict[str, Any]) -> None:
        self._write(h, f"data: {json.dumps(data)}\n\n".encode())

    @staticmethod
    def _write(h: BaseHTTPRequestHandler, data: bytes) -> None:
        h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        h.wfile.flush()


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body.get("model", "m"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
