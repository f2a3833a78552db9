"""The evidence judge shared by the knowledge-layer and end-to-end evaluations."""

from __future__ import annotations

from knowledge.eval.evidence import overlaps

SCANS = "Scans do not show how much pain you feel."
QUOTE = [{"doc": "d", "quote": f"Pain is produced by the brain. {SCANS}"}]


def test_an_excerpt_overlaps_a_quote_by_containment_either_way_or_a_shared_sentence() -> None:
    assert overlaps(f"Intro. Pain is produced by the brain. {SCANS} End.", QUOTE)
    assert overlaps("Pain is produced by the brain.", QUOTE)
    assert overlaps("Something else entirely. Scans do not show how much pain you feel", QUOTE)
    assert not overlaps("Sleep matters for pain.", QUOTE)
    assert not overlaps("pain", QUOTE)  # too short to count as the quote's words
