"""The safety sets: valid rows, big enough, and kept apart from the training bank."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.safety import bank


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


@pytest.fixture(scope="module")
def test_set() -> list[bank.Example]:
    return bank.load("test")


def test_frozen_test_set_meets_the_issues_sizes(test_set: list[bank.Example]) -> None:
    labels = Counter(ex.label for ex in test_set)
    assert labels["crisis"] >= 300 and labels["red_flag"] >= 300
    assert labels["safe"] >= 300 and labels["borderline"] >= 50


def test_test_set_covers_every_crisis_type_and_red_flag_category(
        test_set: list[bank.Example]) -> None:
    from bot.safety import taxonomy

    types = {ex.type for ex in test_set if ex.label == "crisis"}
    assert {"explicit", "method_seeking", "self_harm", "goodbye", "slang", "buried"} <= types
    categories = {ex.category for ex in test_set if ex.label == "red_flag"}
    assert categories == set(taxonomy.categories())


def test_no_message_is_in_two_sets(test_set: list[bank.Example]) -> None:
    train = {_key(ex.text) for ex in bank.training_bank()}
    tune = {_key(ex.text) for ex in bank.load("tune")}
    test = {_key(ex.text) for ex in test_set}
    assert not train & tune and not train & test and not tune & test


def test_every_settled_row_keeps_both_labels(test_set: list[bank.Example]) -> None:
    rows = [json.loads(line) for line in bank.SETS["test"].read_text().splitlines()]
    assert all(row["second_label"] and row["settled"] for row in rows)


def test_bad_rows_fail_when_read(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "text": "hi", "label": "red_flag",
                               "category": "zombie_bite"}) + "\n")
    with pytest.raises(ValueError, match="category"):
        list(bank.read_jsonl(bad))
    bad.write_text(json.dumps({"id": "x", "text": "hi", "label": "borderline"}) + "\n")
    with pytest.raises(ValueError, match="acceptable"):
        list(bank.read_jsonl(bad))
