"""Which learned parts each reader tier loads, and the fallback to the fast tier when a tier's files are
missing (app/answer/pipeline.load_reader)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.answer import pipeline
from app.answer.reader.answerability import AnswerabilityModel
from app.core.settings import Settings

REAL = Path(__file__).resolve().parents[1] / "models"


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models/ folder holding only the fast tier's file (no span reader weights)."""
    shutil.copy(REAL / "answerability-fast.json", tmp_path / "answerability-fast.json")
    monkeypatch.setattr(pipeline, "MODELS", tmp_path)
    return tmp_path


def _write(models: Path, name: str, **changes: object) -> None:
    data = json.loads((models / "answerability-fast.json").read_text(encoding="utf-8"))
    data.update(changes)
    (models / name).write_text(json.dumps(data), encoding="utf-8")


def test_rules_tier_loads_nothing(models: Path) -> None:
    assert pipeline.load_reader(Settings(reader="rules")) == (None, None)


def test_fast_tier_without_reader_weights_answers_without_spans(models: Path) -> None:
    model, reader = pipeline.load_reader(Settings(reader="fast"))
    assert model is not None and model.name == "answerability-fast" and reader is None


@pytest.mark.parametrize("tier", ["mpnet", "minilm", "mpnet-decides"])
def test_missing_tier_falls_back_to_fast(models: Path, tier: str) -> None:
    model, _ = pipeline.load_reader(Settings(reader=tier))
    assert model is not None and model.name == "answerability-fast"


def test_a_model_needing_missing_reader_signals_falls_back(models: Path) -> None:
    _write(models, "answerability-mpnet.json", reader=True, reader_dir="reader-mpnet")
    model, _ = pipeline.load_reader(Settings(reader="mpnet"))
    assert model is not None and model.name == "answerability-fast"


def test_the_tier_file_is_used_when_present(models: Path) -> None:
    _write(models, "answerability-mpnet.json", reader=False, reader_dir="reader-mpnet")
    model, reader = pipeline.load_reader(Settings(reader="mpnet"))
    assert model is not None and model.name == "answerability-mpnet" and model.reader_dir == "reader-mpnet"
    assert reader is None  # its span reader's weights are not in this folder


@pytest.mark.parametrize("bad", ["../reader", "/etc", "a/b", "..", "", 7])
def test_reader_dir_must_be_a_folder_of_models(models: Path, bad: object) -> None:
    _write(models, "bad.json", reader_dir=bad)
    with pytest.raises(ValueError):
        AnswerabilityModel.load(models / "bad.json")
