"""Out-of-fold reads for the answerability model: which reader reads which training article."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.train_answerability import article_slug, assert_held_out, by_reader, fold_readers


def test_fold_specs_map_each_article_to_its_reader() -> None:
    folds = fold_readers(["/f/readerA:huguenot,oxygen", "/f/readerB:force, victoria-australia,"])
    assert folds == {
        "huguenot": Path("/f/readerA"),
        "oxygen": Path("/f/readerA"),
        "force": Path("/f/readerB"),
        "victoria-australia": Path("/f/readerB"),
    }


def test_an_article_in_two_folds_is_refused() -> None:
    with pytest.raises(AssertionError, match="two folds"):
        fold_readers(["/a:force", "/b:oxygen,force"])


def test_articles_without_a_fold_go_to_the_default_reader_in_order() -> None:
    rows = [
        {"id": "1", "article": "Victoria_(Australia)"},
        {"id": "2", "article": "Black_Death"},
        {"id": "3", "article": "Victoria_(Australia)"},
    ]
    groups = dict(by_reader(rows, {"victoria-australia": Path("/a")}, Path("/shipped")))
    assert [r["id"] for r in groups[Path("/a")]] == ["1", "3"]
    assert [r["id"] for r in groups[Path("/shipped")]] == ["2"]
    assert (
        article_slug("Intergovernmental_Panel_on_Climate_Change")
        == "intergovernmental-panel-on-climate-change"
    )


def test_a_reader_may_only_read_articles_it_held_out(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"training_data": {"validation_articles": ["force", "oxygen"]}}')
    assert_held_out(tmp_path, [{"article": "Force"}, {"article": "Oxygen"}])
    with pytest.raises(AssertionError, match="huguenot"):
        assert_held_out(tmp_path, [{"article": "Force"}, {"article": "Huguenot"}])
