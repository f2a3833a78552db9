"""Grouping by meaning, with a fake embedder whose similarity is shared words."""

from __future__ import annotations

from bot.review.grouping import Group, Member, group
from bot.review.records import Entry
from tests.knowledge.knowledge_testkit import FakeEmbedder


def entries(*items: tuple[str, str]) -> list[Entry]:
    return [Entry(question, day) for question, day in items]


def test_alike_questions_share_a_group_with_counts_and_dates() -> None:
    found = group(entries(
        ("does acupuncture help back pain", "2026-11-03"),
        ("kettle descaling with vinegar", "2026-11-01"),
        ("Does  acupuncture help back pain", "2026-11-05"),
        ("does acupuncture help my back pain", "2026-11-02"),
        ("descaling a kettle with vinegar", "2026-11-04"),
    ), FakeEmbedder(dim=512), threshold=0.6)
    assert found == [
        Group("does acupuncture help back pain", 3, "2026-11-02", "2026-11-05",
              (Member("does acupuncture help back pain", 2),
               Member("does acupuncture help my back pain", 1))),
        Group("kettle descaling with vinegar", 2, "2026-11-01", "2026-11-04",
              (Member("kettle descaling with vinegar", 1),
               Member("descaling a kettle with vinegar", 1))),
    ]


def test_unlike_questions_stay_apart_and_a_high_threshold_splits_groups() -> None:
    items = entries(("bread flour", "2026-11-01"), ("bicycle chain oil", "2026-11-01"),
                    ("bread flour types", "2026-11-02"))
    assert len(group(items, FakeEmbedder(dim=512), threshold=0.5)) == 2
    assert len(group(items, FakeEmbedder(dim=512), threshold=0.95)) == 3


def test_sources_of_unhelpful_answers_are_counted_per_group() -> None:
    items = [Entry("what is pacing", "2026-11-01", ("Title A", "Title B")),
             Entry("what is pacing", "2026-11-02", ("Title A",))]
    (only,) = group(items, FakeEmbedder(), threshold=0.6)
    assert only.sources == (Member("Title A", 2), Member("Title B", 1))


def test_no_entries_no_groups_and_nothing_embedded() -> None:
    embedder = FakeEmbedder()
    assert group([], embedder, threshold=0.6) == []
    assert embedder.calls == []


def test_each_wording_is_embedded_once() -> None:
    embedder = FakeEmbedder()
    group(entries(("a question", "2026-11-01"), ("A  question", "2026-11-02"),
                  ("another", "2026-11-02")), embedder, threshold=0.6)
    assert embedder.calls == [2]
