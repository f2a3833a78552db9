"""The acknowledgement that opens an answer when a message carries feeling or doubt.

``acknowledgement(text)`` promises: the response name of the first entry in
``tone.yml`` whose signal matches ``text`` ("so basically it's all in my head then?"
-> ``utter_ack_doubt``), else ``None``. The wording lives in the domain; this module
only chooses, by simple signals, never by generated text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

TONE_PATH = Path(__file__).with_name("tone.yml")


@lru_cache(maxsize=1)
def _entries(path: Path = TONE_PATH) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return tuple((str(e["response"]), tuple(re.compile(s) for s in e["signals"]))
                 for e in data)


def acknowledgement(text: str) -> str | None:
    """The acknowledgement response for ``text``, or ``None`` for a plain question."""
    low = " ".join((text or "").lower().replace("’", "'").split())
    for response, signals in _entries():
        if any(signal.search(low) for signal in signals):
            return response
    return None
