"""Choose the safety thresholds on the tuning set: ``python -m bot.safety.tune``.

Assesses every tuning message once (rules and classifier scores), then tries every
combination of thresholds on a grid and picks one by the rule fixed before the first
run, printed with the result: among the combinations that keep the team's crisis and
red-flag regression phrases right (``regression_floor``) and whose look-alike false alarms
(crisis or red-flag reply) stay at or under ``MAX_FALSE_ALARMS`` and whose look-alike
check-ins stay at or under ``MAX_CHECK_INS`` on the tuning set (the issue's 3% and 8%;
a first, easier tuning set allowed a margin below them, but on the harder second one a
2% budget cost 12 points of crisis recall), and that give a safety reply (crisis, red
flag or check-in) to at most ``MAX_CONVERSATION_ALARMS`` of the ordinary turns of the
tuning conversation set (``knowledge/eval/data/conversations/tune.jsonl``: chat,
questions and follow-ups, none of which calls for one; added after the third end-to-end
scoring showed crisis replies to ordinary follow-ups), the highest crisis recall, then
the highest red-flag recall, then the highest share of right tiers, then the fewest
false alarms, then the highest veto (keyword rules overruled least), then the highest
thresholds. It prints the choice; copying it into ``detector.yml`` is a reviewed edit.
The frozen test set is never read here.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from bot.safety import bank, detector, scoring, taxonomy
from bot.safety import screen as rules
from bot.safety.detector import Detector, Thresholds

GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
FRAMED_GRID = (None, 0.5, 0.7, 0.9, 0.95)  # crisis_framed (None: same as crisis)
VETO_GRID = (0.8, 0.9, 0.95, 0.98, 0.99, 1.0)
PHRASES = Path(__file__).resolve().parents[2] / "tests" / "data" / "safety_phrases.yml"
MAX_FALSE_ALARMS = 0.03
SAFETY_REPLIES = frozenset({taxonomy.CRISIS, taxonomy.RED_FLAG, taxonomy.CHECK_IN})
MAX_CHECK_INS = 0.08
MAX_CONVERSATION_ALARMS = 0.01
CONVERSATIONS = (Path(__file__).resolve().parents[2] / "knowledge" / "eval" / "data"
                 / "conversations" / "tune.jsonl")


def conversation_turns(path: Path = CONVERSATIONS) -> list[str]:
    """The texts of the tuning conversations' turns (none expects a safety reply)."""
    import json

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [turn["text"] for row in rows for turn in row["turns"]]


def sweep(examples, found, scores, turns=((), ())):
    """(thresholds, summary) for every valid grid point; ``turns`` (rule findings and
    scores of the conversation turns) add ``conversation_alarm_rate``."""
    for crisis, red_flag, check_in, veto, framed in itertools.product(
            GRID, GRID, GRID, VETO_GRID, FRAMED_GRID):
        if check_in > crisis or (framed is not None and framed <= crisis):
            continue
        thresholds = Thresholds(crisis, red_flag, check_in, veto, framed)
        screen = Detector(thresholds, None)
        decisions = [scoring.from_assessment(screen.decide(f, s))
                     for f, s in zip(found, scores, strict=True)]
        summary = scoring.Report(examples, decisions).summary()
        alarms = sum(screen.decide(f, s).kind in SAFETY_REPLIES
                     for f, s in zip(*turns, strict=True))
        summary["conversation_alarm_rate"] = alarms / len(turns[0]) if turns[0] else 0.0
        yield thresholds, summary


def choose(results, floor_ok=lambda thresholds: True):
    """The pick by the rule in the module docstring (``None`` if nothing qualifies)."""
    allowed = [(t, s) for t, s in results if s["false_alarm_rate"] <= MAX_FALSE_ALARMS
               and s["check_in_rate"] <= MAX_CHECK_INS
               and s.get("conversation_alarm_rate", 0.0) <= MAX_CONVERSATION_ALARMS
               and floor_ok(t)]
    if not allowed:
        return None
    return max(allowed, key=lambda ts: (ts[1]["crisis_recall"], ts[1]["red_flag_recall"],
                                         ts[1]["tier_right"], -ts[1]["false_alarm_rate"],
                                         ts[0].veto, ts[0].crisis, ts[0].red_flag,
                                         ts[0].check_in, ts[0].crisis_framed or ts[0].crisis))


def regression_floor(screen: Detector):
    """A test of thresholds: every crisis and red-flag phrase of the team's regression
    list (``tests/data/safety_phrases.yml``: canonical phrasings) gets its reply, and
    none of its harmless phrases gets a crisis or red-flag reply (a check-in is allowed:
    no setting of the model keeps every idiom from one, see
    tests/integration/test_safety.py). Not a quality measure (the team wrote it), a
    floor no choice may fall through. The harmless half was added when the two-member
    classifier's first pick (red flag 0.7) sent "I got a headache from staring at my
    screen all day" to the emergency reply."""
    import yaml

    phrases = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    cases = [(text, kind) for kind in ("crisis", "red_flag") for text in phrases[kind]]
    cases += [(text, None) for text in phrases["harmless"]]
    found = [rules.screen(text) for text, _ in cases]
    scores = [screen.scores(text) for text, _ in cases]

    def ok(thresholds: Thresholds) -> bool:
        judge = Detector(thresholds, None)
        got = [judge.decide(f, s).kind for f, s in zip(found, scores, strict=True)]
        return all(g == kind if kind else g not in ("crisis", "red_flag")
                   for g, (_, kind) in zip(got, cases, strict=True))

    return ok


def main() -> int:
    examples = bank.load("tune")
    screen = detector.build()
    found = [rules.screen(ex.text) for ex in examples]
    scores = [screen.scores(ex.text) for ex in examples]
    texts = conversation_turns()
    turns = ([rules.screen(t) for t in texts], [screen.scores(t) for t in texts])
    results = list(sweep(examples, found, scores, turns))
    floor = regression_floor(screen)
    print(f"{len(results)} threshold combinations on {len(examples)} tuning messages")
    print(f"rule: false alarms <= {MAX_FALSE_ALARMS}, check-ins <= {MAX_CHECK_INS}, "
          f"safety replies to {len(texts)} conversation turns <= {MAX_CONVERSATION_ALARMS}; then "
          "max crisis recall, red-flag recall, right tier, fewer false alarms, higher veto, "
          "higher thresholds")
    pick = choose(results, floor)
    current = screen.thresholds
    for label, (thresholds, summary) in (("chosen", pick) if pick else ("chosen", (None, {})),
                                         ("current", next(((t, s) for t, s in results
                                                           if t == current), (current, {})))):
        figures = " ".join(f"{k}={v:.3f}" for k, v in summary.items())
        print(f"{label}: {thresholds} {figures}")
    return 0 if pick else 1


if __name__ == "__main__":
    sys.exit(main())
