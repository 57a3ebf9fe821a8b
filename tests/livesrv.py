"""A real uvicorn server on a free loopback port, started once per test process; and a Chromium launcher."""

from __future__ import annotations

import atexit
import contextlib
import http.server
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
_servers: dict[str, str] = {}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def live_server(settings: Any, deps: Any, name: str = "app") -> str:
    """Base URL of the app called name (one per name and process), serving the given settings and deps."""
    if name in _servers:
        return _servers[name]
    from app.web.api import create_app

    _servers[name] = serve_app(create_app(settings, deps))
    return _servers[name]


def serve_app(app: Any) -> str:
    """Serve an ASGI app with uvicorn on a free loopback port (in a thread, stopped at exit); its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)

    atexit.register(stop)
    return f"http://127.0.0.1:{port}"


def static_server(directory: Path, host: str = "127.0.0.1") -> tuple[str, Any]:
    """A plain HTTP server for a folder (another origin than the app); returns (base URL, server)."""
    port = free_port(host)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, directory=str(directory), **k)

        def log_message(self, *_: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer((host, port), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://{host}:{port}", httpd


@contextlib.contextmanager
def chromium() -> Any:
    """A headless Debian Chromium via Playwright; skips when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class ServerProcess:
    """`sourced serve` as its own process on a free loopback port (the real server: uvicorn, its loop, its
    threads), configured by SOURCED_* variables; stopped by stop() or at exit."""

    def __init__(self, env: dict[str, str], cwd: Path | None = None, timeout: float = 90.0) -> None:
        import os
        import subprocess
        import sys
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = {**os.environ, "SOURCED_ANSWER_MODE": "extractive", **env}
        cmd = [
            str(Path(sys.executable).parent / "sourced"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen(cmd, env={**full, "PYTHONPATH": str(root)}, cwd=cwd or root)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server process did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait()
