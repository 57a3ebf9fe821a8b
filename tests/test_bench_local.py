"""scripts/bench_local.py: the verifier's band and bar are chosen by a rule written in the script, on tuning rows
(synthetic here; no model)."""

from __future__ import annotations

import pytest

from scripts.bench_local import band_effect, choose_band, net_gain


def row(prob: float | None, p_yes: float | None, answerable: bool, right: bool = False) -> dict:
    return {
        "id": "x",
        "answerable": answerable,
        "refused": prob is None,
        "right": right,
        "prob": prob,
        "verdict": None if p_yes is None else p_yes >= 0.5,
        "p_yes": p_yes,
        "seconds": None if p_yes is None else 1.0,
    }


def test_band_effect_counts_refusals_gained_and_answers_lost() -> None:
    rows = [
        row(0.6, 0.1, False),  # unanswerable, answered, the model says no: a refusal gained
        row(0.7, 0.2, True, right=True),  # a right answer the model refuses: lost
        row(0.65, 0.3, True),  # a wrong answer to an answerable question refused
        row(0.95, 0.0, False),  # outside the band: not asked
        row(None, None, False),  # the reader refused: nothing to check
    ]
    e = band_effect(rows, 0.5, 0.9, 0.4)
    assert (e["asked"], e["said_no"], e["refusals_gained"]) == (3, 3, 1)
    assert (e["answers_lost"], e["right_answers_lost"]) == (2, 1)
    assert (e["unanswerable"], e["unanswerable_answered"]) == (3, 2)
    assert net_gain(e) == pytest.approx(1 - 1 - 0.5)


def test_choose_band_takes_the_band_where_no_means_unanswerable() -> None:
    # below 0.6 the model's "no" (P(yes) 0.1) falls on unanswerable questions; above, right answers get P(yes) 0.9
    rows = [row(0.52 + 0.01 * i, 0.1, False) for i in range(6)]
    rows += [row(0.7 + 0.02 * i, 0.9, True, right=True) for i in range(10)]
    rows += [row(0.75, 0.1, True, right=True)]  # one right answer the model doubts, inside a wider band
    lo, hi, bar = choose_band(rows)
    assert (lo, hi) == (0.5, 0.6)  # the narrowest band holding all 6 gains, not the doubted right answer
    assert 0.1 < bar <= 0.9  # a bar that says no at 0.1 and yes at 0.9
    assert band_effect(rows, lo, hi, bar)["refusals_gained"] == 6


def test_choose_band_ties_go_to_the_narrower_band() -> None:
    rows = [row(0.62, 0.1, False), row(0.3, 0.9, True, right=True), row(0.95, 0.9, True, right=True)]
    lo, hi, _bar = choose_band(rows)
    assert (lo, hi) == (0.6, 0.65)


def test_choose_band_is_none_when_nothing_is_gained() -> None:
    rows = [row(0.6, 0.1, True, right=True), row(0.7, 0.9, False), row(None, None, False)]
    assert choose_band(rows) is None
