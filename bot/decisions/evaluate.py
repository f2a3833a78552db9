"""How the treatment-decision gate combines rules and the intent classifier, on tuning
data only: ``python -m bot.decisions.evaluate`` (Rasa's interpreter, ``.venv-rasa``).

For the decision/education tuning set (``data/tune.jsonl``) and the tuning
conversations, prints decisions declined and education questions hard-declined for the
rules alone and for the rules or the classifier's ``ask_personal_advice`` verdict at
each confidence in ``THRESHOLDS`` (kept, as the server keeps it, only for a message
that speaks of the person or names a treatment: ``screen.personal``).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.decisions.screen import decision, personal

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = (1.01, 0.95, 0.9, 0.8, 0.7)  # 1.01: the rules alone
SETS = {
    "decision/education tuning set": ROOT / "bot/decisions/data/tune.jsonl",
    "own-case tuning set (tune2)": ROOT / "bot/decisions/data/tune2.jsonl",
    "tuning conversations": ROOT / "knowledge/eval/data/conversations/tune.jsonl",
}


def labelled(path: Path) -> list[tuple[str, str]]:
    """(text, "decision" | "education") pairs from either kind of file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    if rows and "turns" in rows[0]:
        kinds = {"decline": "decision", "answer": "education"}
        return [(t["text"], kinds[t["expect"]]) for r in rows for t in r["turns"]
                if t["expect"] in kinds]
    return [(r["text"], r["label"]) for r in rows]


async def advice_confidence(texts: list[str], model: Path) -> list[float]:
    """The classifier's confidence in ``ask_personal_advice`` when it is its top intent."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    out = []
    for text in texts:
        ranking = (await agent.parse_message(text)).get("intent_ranking") or [{}]
        top = ranking[0]
        out.append(float(top.get("confidence") or 0.0)
                   if top.get("name") == "ask_personal_advice" else 0.0)
    return out


def main(model: Path = ROOT / "models/pain-assistant.tar.gz") -> int:
    for name, path in SETS.items():
        items = labelled(path)
        confidence = asyncio.run(advice_confidence([t for t, _ in items], model))
        ruled = [decision(t) is not None for t, _ in items]
        mine = [personal(t) for t, _ in items]  # the gate keeps the verdict only for these
        for threshold in THRESHOLDS:
            declined = [r or (c >= threshold and m)
                        for r, c, m in zip(ruled, confidence, mine, strict=True)]
            dec = [d for d, (_, k) in zip(declined, items, strict=True) if k == "decision"]
            edu = [d for d, (_, k) in zip(declined, items, strict=True) if k == "education"]
            label = "rules alone" if threshold > 1 else f"rules or classifier >= {threshold}"
            print(f"{name}, {label}: decisions declined {sum(dec)}/{len(dec)}, "
                  f"education hard-declined {sum(edu)}/{len(edu)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
