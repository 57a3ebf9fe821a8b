"""Schemathesis against a live loopback server: `sourced serve` in its own process over a copy of the seed index
(extractive, rate limit off, an admin token set), fuzzed from the API's own OpenAPI description
(app/web/schemas.py) on every route: /api/ask, /api/timeline, /api/documents* (with the admin token, a wrong
one and none), /api/feedback, /v1/models, /v1/chat/completions (streamed and not), /healthz.

Every response must pass Schemathesis's checks: never a 5xx (not_a_server_error), a status, content type and
headers the schema declares, a body that conforms to the declared response model, auth enforced where the
schema asks for it, and every request that breaks the schema refused with a 4xx. Seed-fixed (derandomized):
SOURCED_SCHEMATHESIS_EXAMPLES cases per operation (15 by default; make fuzz raises it). With
SOURCED_FUZZ_REPORT set, the cases run, the 5xx seen and the failed checks per operation are written beside it
(".schemathesis.json")."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation

from tests.livesrv import ServerProcess

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("SOURCED_SCHEMATHESIS_EXAMPLES", "15"))
ADMIN = "schemathesis-admin-token"
TOKENS = (f"Bearer {ADMIN}", None, "Bearer wrong-token")  # in turn: the admin's, none, a wrong one
CASES: Counter[str] = Counter()
FIVE_XX: Counter[str] = Counter()
FAILED: Counter[str] = Counter()  # "operation: check"
STATUSES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def live(seed_settings, tmp_path_factory):
    base = tmp_path_factory.mktemp("schemathesis")
    shutil.copytree(seed_settings.index_dir, base / "index")
    env = {
        "SOURCED_INDEX_DIR": str(base / "index"),
        "SOURCED_DOCUMENTS_DIR": str(base / "documents"),
        "SOURCED_FEEDBACK_PATH": str(base / "feedback.sqlite3"),
        "SOURCED_ADMIN_TOKEN": ADMIN,
        "SOURCED_RATE_LIMIT_PER_MINUTE": "0",
        "SOURCED_LOG_LEVEL": "ERROR",
    }
    server = ServerProcess(env)
    yield server.url
    server.stop()
    _report()


def _log_failure(case, response, failure) -> None:
    log = os.environ.get("SOURCED_FUZZ_REPORT")
    if log:
        with open(Path(log).with_suffix(".schemathesis.log"), "a", encoding="utf-8") as f:
            f.write(
                f"{case.method} {case.path} -> {response.status_code}\n{failure}\n{case.as_curl_command()}\n\n"
            )


def _report() -> None:
    report = os.environ.get("SOURCED_FUZZ_REPORT")
    if not report:
        return
    out = Path(report).with_suffix(".schemathesis.json")
    figures = {
        "examples": EXAMPLES,
        "cases": dict(CASES),
        "total": sum(CASES.values()),
        "5xx": dict(FIVE_XX),
        "failed_checks": dict(FAILED),
        "statuses": dict(STATUSES),
    }
    out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


# The API's description as committed (make openapi); test_openapi_is_current keeps it the code's own.
OPENAPI = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
ARTICLE = (
    "Aid convoy reaches Idlib\n\nA convoy of 40 trucks carrying food and medicine crossed into Idlib province on "
    "Tuesday, the United Nations said. The trucks used the Bab al-Hawa crossing on the Turkish border.\n"
)
# One request of each operation that should succeed, sent first (the explicit examples phase), so the checks also
# see every success response; the generated cases are mostly refused (a chat must end with the user's question).
EXAMPLES_BY_OPERATION = {
    ("/api/ask", "post"): {"question": "What did Turkey deploy in September?"},
    ("/v1/chat/completions", "post"): {
        "model": "sourced",
        "messages": [{"role": "user", "content": "Which border crossing did the convoy use?"}],
    },
    ("/api/feedback", "post"): {"rating": "up", "question": "What did Turkey deploy in September?"},
    ("/api/documents", "post"): {"source": "convoy.txt", "text": ARTICLE, "published": "2024-10-01"},
}
PARAMETER_EXAMPLES = {"source": "001_f4fb8e769c839d13.txt", "name": "sourced", "q": "Turkish deployments"}


def with_examples(doc: dict) -> dict:
    for (path, method), value in EXAMPLES_BY_OPERATION.items():
        media = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
        media["examples"] = {"ok": {"value": value}}
    for ops in doc["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param["name"] in PARAMETER_EXAMPLES:
                    param["example"] = PARAMETER_EXAMPLES[param["name"]]
    return doc


schema = schemathesis.openapi.from_dict(with_examples(json.loads(OPENAPI.read_text(encoding="utf-8"))))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_against_its_schema(case, live):
    name = f"{case.method} {case.path}"
    if isinstance(case.body, dict) and case.body.get("stream") is True:
        name += " (stream)"  # counted apart: the streamed completions
    token = TOKENS[CASES[name] % len(TOKENS)]
    CASES[name] += 1
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header is not None and header.mode.is_negative:
        token = None  # the case is about its headers (the token left out on purpose): sent as generated
    headers = {"Authorization": token} if token else None
    response = case.call(base_url=live, headers=headers, timeout=60)
    STATUSES[f"{name} {response.status_code}"] += 1
    if response.status_code >= 500:
        FIVE_XX[name] += 1
    load_all_checks()
    checks = list(CHECKS.get_all())
    if f"{case.method} {case.path}" in ("POST /api/documents", "POST /v1/chat/completions"):
        # What JSON Schema cannot say: an upload is refused for its content (no article text in it, a bad
        # date) with a reason per file, and a chat must end with the user's question. A 400 there answers a
        # well-formed request; every other check still runs on them.
        checks = [c for c in checks if c.__name__ != "positive_data_acceptance"]
    try:
        case.validate_response(response, checks=checks, headers=headers)
    except FailureGroup as group:
        for failure in group.exceptions:
            FAILED[f"{name}: {type(failure).__name__}"] += 1
        _log_failure(case, response, group)
        raise
    except AssertionError as failure:
        FAILED[f"{name}: {type(failure).__name__}"] += 1
        raise


@pytest.mark.timeout(120)
def test_openapi_is_current():
    """docs/openapi.json is what the routes declare now (regenerate it with make openapi)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "app.web.schemas"],
        capture_output=True,
        text=True,
        check=True,
        cwd=OPENAPI.parents[1],
    ).stdout
    assert json.loads(out) == json.loads(OPENAPI.read_text(encoding="utf-8")), "run make openapi"
