"""The feedback log (SQLite, WAL), its exports, and the proxy-aware client key of the rate limit."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from app.core.errors import BadFeedback
from app.core.settings import Settings
from app.feedback import FeedbackLog, parse_feedback
from app.web.clients import client_key, networks


def _fb(**over):
    base = {"rating": "up", "question": "Who?", "answer": "Them [1]", "mode": "extractive", "citations": []}
    return parse_feedback({**base, **over}, Settings())


def test_log_keeps_items_newest_first_in_wal_mode(tmp_path):
    log = FeedbackLog(tmp_path / "fb.sqlite3")
    assert log.count() == 0 and list(log.items()) == []
    log.add(_fb(comment="first"))
    log.add(
        _fb(rating="down", comment="second", citations=[{"id": 1, "source": "a.txt", "quote": "q", "x": [1]}])
    )
    items = list(log.items())
    assert [i["comment"] for i in items] == ["second", "first"]
    assert items[0]["citations"] == [{"id": 1, "source": "a.txt", "quote": "q"}]  # unknown keys dropped
    with sqlite3.connect(tmp_path / "fb.sqlite3") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        cols = {r[1] for r in con.execute("PRAGMA table_info(feedback)")}
    assert not {"ip", "client", "address", "host"} & cols


def test_not_helpful_only_and_counts_per_day(tmp_path):
    log = FeedbackLog(tmp_path / "fb.sqlite3")
    assert log.days() == [] and log.count("down") == 0
    log.add(_fb(comment="fine"))
    log.add(_fb(rating="down", question="Where?", comment="wrong place"))
    log.add(_fb(rating="down", question="When?", comment="no date"))
    with sqlite3.connect(tmp_path / "fb.sqlite3") as con:  # one rating of the day before
        con.execute("UPDATE feedback SET created = '2024-10-01T09:00:00+00:00' WHERE question = 'Where?'")
    down = list(log.items(rating="down"))
    assert [i["comment"] for i in down] == ["no date", "wrong place"]  # newest first
    assert log.count("down") == 2 and log.count("up") == 1 and log.count() == 3
    days = log.days()
    assert days[-1] == {"day": "2024-10-01", "up": 0, "down": 1}
    assert days[0]["up"] == 1 and days[0]["down"] == 1 and days[0]["day"] > "2024-10-01"


def test_exports_jsonl_and_csv_with_formulas_neutralised(tmp_path):
    log = FeedbackLog(tmp_path / "fb.sqlite3")
    log.add(_fb(comment='=HYPERLINK("http://evil","x")'))
    log.add(_fb(comment="-2+3", question="@SUM(A1)"))
    out = io.StringIO()
    assert log.export("jsonl", out) == 2
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines[1]["comment"].startswith("=HYPERLINK")  # JSON keeps the text as it is
    out = io.StringIO()
    assert log.export("csv", out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[1]["comment"].startswith("'=") and rows[0]["comment"] == "'-2+3"
    assert rows[0]["question"] == "'@SUM(A1)" and json.loads(rows[0]["citations"]) == []


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"rating": "up"},
        {"rating": 1, "question": "q"},
        {"rating": "up", "question": "q" * 1001},
        {"rating": "up", "question": "q", "answer": "a" * 20_001},
        {"rating": "up", "question": "q", "citations": [1]},
        {"rating": "up", "question": "q", "citations": [{}] * 51},
        {"rating": "up", "question": "q", "answer_id": "ABC"},
    ],
)
def test_bad_feedback_is_refused(data):
    with pytest.raises(BadFeedback):
        parse_feedback(data, Settings())


NETS = networks(["10.0.0.0/8", "fd00::/8", "192.0.2.1"])


@pytest.mark.parametrize(
    ("peer", "xff", "key"),
    [
        ("198.51.100.7", None, "198.51.100.7"),
        ("198.51.100.7", "1.2.3.4", "198.51.100.7"),  # not a proxy: the header is ignored
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.5", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client wrote 6.6.6.6 itself
        ("10.0.0.5", "1.2.3.4, 192.0.2.1", "1.2.3.4"),  # two of our proxies in a row
        ("10.0.0.5", "1.2.3.4, 10.9.9.9", "1.2.3.4"),
        ("10.0.0.5", "garbage", "10.0.0.5"),
        ("10.0.0.5", "1.2.3.4, garbage", "10.0.0.5"),
        ("fd00::1", "2001:db8::7", "2001:db8::7"),
        ("testclient", "1.2.3.4", "testclient"),
        (None, "1.2.3.4", "unknown"),
    ],
)
def test_client_key(peer, xff, key):
    assert client_key(peer, xff, NETS) == key


def test_trusted_proxies_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOURCED_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12")
    assert Settings().trusted_proxies == ["10.0.0.1", "172.16.0.0/12"]
    monkeypatch.setenv("SOURCED_TRUSTED_PROXIES", "10.0.0.x")
    with pytest.raises(ValueError):
        Settings()
