"""The committed safety classifier is the one ``make model`` keeps.

``make model`` runs ``python -m bot.safety.train --if-changed`` in this interpreter: a
member whose fingerprint is stale is fine-tuned again (about 25 minutes each on two
cores, and not bit-for-bit the model the tuning and test runs scored). A change to the
training bank, the idioms or the training code must come with retrained members and a
new scoring, never with a silent retraining in CI.
"""

from __future__ import annotations

from bot.safety import train
from bot.safety.detector import DetectorSettings


def test_the_committed_members_are_current() -> None:
    settings = DetectorSettings.load()
    current = train.current_members(settings)
    assert current and all(current.values()), current
