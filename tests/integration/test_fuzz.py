"""bot.serving.fuzz, bounded: malformed and hostile requests never get a 5xx or stop a server."""

from __future__ import annotations

import pytest

from bot.serving import fuzz

pytestmark = pytest.mark.integration

INPUTS = 300  # the full run (python -m bot.serving.fuzz) sends 10,000


def test_malformed_requests_get_4xx_and_the_servers_keep_serving(stack, bot_client):
    report = fuzz.fuzz(stack, INPUTS, seed=1, progress=False)
    assert report["failure_count"] == 0, report["failures"]
    assert all(report["alive"].values()), report["alive"]
    statuses = report["statuses"]
    for kind in ("empty", "null", "number", "array", "missing_sender", "null_sender"):
        assert set(statuses.get(kind, {400: 1})) == {400}, (kind, statuses.get(kind))
    assert bot_client.ask("what is central sensitisation?")
