"""Screen one user message for crisis signs and red flags (pure Python, no Rasa).

``screen(text)`` promises: ``category`` is ``"crisis"`` when any crisis rule matches
(even if a red flag matches too), else ``"red_flag"`` when a red-flag rule matches
(``red_flag_category`` then names the most urgent red-flag category that matched;
``confirmable`` says the verdict rests only on keyword rules marked ``confirm``),
else ``"check_in"`` when an ambiguous-distress rule matches, else ``None``; ``reason``
names the rule(s), never the message text. The patterns are
data in ``patterns.yml`` next to this file; this module only normalises text and
applies them. Messages that start with ``/`` (Rasa's forced-intent syntax) are screened
as a whole, without the leading ``/intent`` token, and by their entity JSON values.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.safety import spelling, taxonomy

PATTERNS_PATH = Path(__file__).with_name("patterns.yml")
CRISIS = taxonomy.CRISIS
RED_FLAG = taxonomy.RED_FLAG
CHECK_IN = taxonomy.CHECK_IN
_SEVERITY = {CRISIS: 3, RED_FLAG: 2, CHECK_IN: 1, None: 0}

_QUOTES = str.maketrans(
    {"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"'}
)
_REPEATS = re.compile(r"([a-z])\1{2,}")
_CLAUSE_PUNCT = re.compile(r"[.!?;:…]+")
_COMMA = re.compile(r",+")
_OTHER = re.compile(r"[^a-z0-9.,]+")
_SPACES = re.compile(r"\s+")
_FORCED_INTENT = re.compile(r"^\s*/\s*[^\s{@]*(@[0-9.]*)?")
_MASK = " ~ "
CONTEXT_NEGATION_WINDOW = 3


@dataclass(frozen=True)
class ScreenResult:
    """The screening verdict for one message."""

    category: str | None
    reason: str = ""
    # Categories whose rules matched only in negated form.
    negated: frozenset[str] = frozenset()
    # True when an idiom from `exceptions` ("dying to know") was found and masked.
    exception: bool = False
    # The most urgent red-flag category whose rule matched (see categories.yml).
    red_flag_category: str | None = None
    # True when every rule behind ``category`` is a keyword rule (``confirm: true``):
    # the classifier may then overrule it when it is confident the message is safe.
    confirmable: bool = False
    # True when the message is framed as general, third-person or past (a context named
    # in ``classifier_framing``): the classifier alone then needs more to call a crisis.
    framed: bool = False

    def __bool__(self) -> bool:
        return self.category is not None


@dataclass
class _Rule:
    category: str
    reason: str
    patterns: list[re.Pattern[str]]
    requires: _Context | None = None
    unless: list[re.Pattern[str] | _Context] = field(default_factory=list)
    negatable: bool = True
    negation_window: int | None = None  # None: the red-flag window
    red_flag_category: str | None = None
    confirm: bool = False


@dataclass
class _Patterns:
    rewrites: list[tuple[re.Pattern[str], str]]
    exceptions: list[re.Pattern[str]]
    # what each idiom says in plain words, for the classifier (same order as exceptions)
    plain: list[str]
    negation_words: frozenset[str]
    negation_window: int
    boundaries: frozenset[str]
    rules: list[_Rule]
    ordinary: re.Pattern[str] | None = None
    framing: tuple[_Context, ...] = ()


def _compile(raw: str) -> re.Pattern[str]:
    return re.compile(raw)


@dataclass(frozen=True)
class _Context:
    """A named context: ``match`` occurs and ``unless`` (if given) does not."""

    match: re.Pattern[str]
    unless: re.Pattern[str] | None = None

    def search(self, text: str) -> bool:
        return bool(self.match.search(text)) and not (self.unless and self.unless.search(text))


def _context(spec: str | dict[str, str]) -> _Context:
    if isinstance(spec, str):
        return _Context(_compile(spec))
    unless = _compile(spec["unless"]) if spec.get("unless") else None
    return _Context(_compile(spec["match"]), unless)


def _idiom(spec: str | list[str]) -> tuple[str, str]:
    """An ``exceptions`` entry: a regex, or [regex, plain reading]; the reading may use
    the regex's groups (``\\1``) and defaults to the idiom as typed (``\\g<0>``)."""
    if isinstance(spec, str):
        return spec, r"\g<0>"
    if len(spec) != 2:
        raise ValueError(f"patterns.yml: an idiom is a regex or [regex, plain]: {spec!r}")
    return spec[0], spec[1]


def _unless(raw: str, contexts: dict[str, _Context]) -> re.Pattern[str] | _Context:
    """An ``unless`` entry: a regex, or ``@name`` for a named context."""
    if raw.startswith("@"):
        if raw[1:] not in contexts:
            raise ValueError(f"patterns.yml: unknown context {raw!r}")
        return contexts[raw[1:]]
    return _compile(raw)


@lru_cache(maxsize=4)
def load_patterns(path: str | Path = PATTERNS_PATH) -> _Patterns:
    """Read and compile ``patterns.yml`` (cached per path)."""
    data: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    contexts = {name: _context(spec) for name, spec in (data.get("contexts") or {}).items()}
    rules: list[_Rule] = []
    for category in (CRISIS, RED_FLAG, CHECK_IN):
        for spec in data.get(category) or []:
            requires = spec.get("requires")
            if requires and requires not in contexts:
                raise ValueError(f"patterns.yml: unknown context {requires!r}")
            red_flag_category = spec.get("category")
            if (category == RED_FLAG) != (red_flag_category is not None) or (
                    red_flag_category and red_flag_category not in taxonomy.tier_of_category()):
                raise ValueError(f"patterns.yml: rule {spec['reason']!r} needs a known "
                                 "category if and only if it is a red flag")
            rules.append(
                _Rule(
                    category=category,
                    reason=spec["reason"],
                    patterns=[_compile(rx) for rx in spec["patterns"]],
                    requires=contexts[requires] if requires else None,
                    unless=[_unless(rx, contexts) for rx in spec.get("unless") or []],
                    negatable=spec.get("negatable", category in (RED_FLAG, CRISIS)),
                    negation_window=(int((data.get("negation") or {}).get("crisis_window", 2))
                                     if category == CRISIS else None),
                    red_flag_category=red_flag_category,
                    confirm=bool(spec.get("confirm", False)),
                )
            )
    negation = data.get("negation") or {}
    return _Patterns(
        rewrites=[(_compile(rx), repl) for rx, repl in data.get("normalise") or []],
        exceptions=[_compile(_idiom(spec)[0]) for spec in data.get("exceptions") or []],
        plain=[_idiom(spec)[1] for spec in data.get("exceptions") or []],
        negation_words=frozenset(negation.get("words") or ()),
        negation_window=int(negation.get("window", 6)),
        boundaries=frozenset(negation.get("boundaries") or ()),
        rules=rules,
        ordinary=_compile(data["ordinary"]) if data.get("ordinary") else None,
        framing=tuple(_framing(name, contexts) for name in data.get("classifier_framing") or ()),
    )


def _framing(name: str, contexts: dict[str, _Context]) -> _Context:
    if name not in contexts:
        raise ValueError(f"patterns.yml: classifier_framing names unknown context {name!r}")
    return contexts[name]


def normalise(text: str, patterns: _Patterns | None = None) -> str:
    """Canonical lower-case form the patterns are written against (see patterns.yml)."""
    patterns = patterns or load_patterns()
    s = spelling.correct(unicodedata.normalize("NFKC", text or "")).translate(_QUOTES).casefold()
    s = s.replace("'", "")
    s = _REPEATS.sub(r"\1", s)
    s = _CLAUSE_PUNCT.sub(" . ", s)
    s = _COMMA.sub(" , ", s)
    s = _OTHER.sub(" ", s)
    s = _SPACES.sub(" ", s).strip()
    for rx, repl in patterns.rewrites:
        s = rx.sub(repl, s)
    return s


def _mask_exceptions(text: str, patterns: _Patterns) -> tuple[str, bool]:
    masked = text
    for rx in patterns.exceptions:
        masked = rx.sub(_MASK, masked)
    return masked, masked != text


def without_idioms(text: str) -> str:
    """``text`` as the classifier should read it: with misspelt risk words mended
    (``spelling``), and if it holds an idiom from ``exceptions`` ("I could kill for a
    coffee"), its normalised form with each idiom in plain words ("i would love a
    coffee"), so the classifier is not misled by them either."""
    patterns = load_patterns()
    words = normalise(text, patterns)
    plain = words
    for rx, reading in zip(patterns.exceptions, patterns.plain, strict=True):
        plain = rx.sub(reading, plain)
    return " ".join(plain.split()) if plain != words else spelling.correct(text)


def is_ordinary(text: str | None) -> bool:
    """Whether the whole message is a bare farewell, greeting or thanks (``ordinary``
    in ``patterns.yml``), which the classifier is not asked about."""
    patterns = load_patterns()
    return bool(patterns.ordinary and text and patterns.ordinary.match(normalise(text, patterns)))


def _negated(text: str, start: int, patterns: _Patterns, window: int | None = None) -> bool:
    """Whether a negation word precedes ``start`` within its clause and the window.
    A negation that governs "to" does not count: "trying not to hurt myself" still
    says the urge is there."""
    before = text[:start].split()
    size = window or patterns.negation_window
    for offset, word in enumerate(reversed(before[-size:])):
        if word in patterns.boundaries:
            return False
        following = before[len(before) - offset:][:1]
        if word in patterns.negation_words and following != ["to"]:
            return True
    return False


def _present(context: _Context, text: str, patterns: _Patterns) -> bool:
    """Whether ``context`` occurs in ``text`` at least once without a negation just
    before it ("no temperature", "I do not have a fever": within three words)."""
    if context.unless and context.unless.search(text):
        return False
    return any(not _negated(text, m.start(), patterns, window=CONTEXT_NEGATION_WINDOW)
               for m in context.match.finditer(text))


def _apply(rule: _Rule, text: str, patterns: _Patterns) -> str | None:
    """ "hit" when the rule matches, "negated" when it matched only negated, else None."""
    if rule.requires is not None and not _present(rule.requires, text, patterns):
        return None
    if any(rx.search(text) for rx in rule.unless):
        return None
    outcome = None
    for rx in rule.patterns:
        for match in rx.finditer(text):
            if not (rule.negatable and _negated(text, match.start(), patterns,
                                                 window=rule.negation_window)):
                return "hit"
            outcome = "negated"
    return outcome


def _screen_normalised(text: str, patterns: _Patterns) -> ScreenResult:
    found: dict[str, list[str]] = {CRISIS: [], RED_FLAG: [], CHECK_IN: []}
    strong: set[str] = set()  # categories matched by at least one rule that needs no confirming
    negated: set[str] = set()
    red_flag_category: str | None = None
    for rule in patterns.rules:
        bucket = found[rule.category]
        if rule.reason in bucket:
            continue
        outcome = _apply(rule, text, patterns)
        if outcome == "hit":
            bucket.append(rule.reason)
            if not rule.confirm:
                strong.add(rule.category)
            if rule.red_flag_category:
                red_flag_category = taxonomy.more_urgent(red_flag_category,
                                                         rule.red_flag_category)
        elif outcome == "negated":
            negated.add(rule.category)
    crisis, red_flags = found[CRISIS], found[RED_FLAG]
    if crisis:
        extra = f"; also red_flag: {', '.join(red_flags)}" if red_flags else ""
        return ScreenResult(CRISIS, ", ".join(crisis) + extra, frozenset(negated),
                            red_flag_category=red_flag_category,
                            confirmable=CRISIS not in strong)
    if red_flags:
        return ScreenResult(RED_FLAG, ", ".join(red_flags), frozenset(negated),
                            red_flag_category=red_flag_category,
                            confirmable=RED_FLAG not in strong)
    if found[CHECK_IN]:
        return ScreenResult(CHECK_IN, ", ".join(found[CHECK_IN]), frozenset(negated))
    return ScreenResult(None, "", frozenset(negated))


def _variants(text: str) -> list[str]:
    """The texts to screen: the message, and for '/intent…' messages its parts."""
    variants = [text]
    forced = _FORCED_INTENT.match(text)
    if forced and text.lstrip().startswith("/"):
        rest = text[forced.end() :]
        variants.append(rest)
        brace = rest.find("{")
        if brace != -1:
            try:
                payload = json.loads(rest[brace : rest.rfind("}") + 1])
            except (ValueError, TypeError):
                payload = None
            if isinstance(payload, dict):
                variants.append(" . ".join(str(v) for v in payload.values()))
    return variants


def message_words(text: str) -> str:
    """What a message says in words: for a "/intent..." message its entity values, else
    the text after the intent token, else the intent's name ("/greet" -> "greet");
    any other message as it is. The classifier reads this."""
    variants = _variants(text)
    if len(variants) == 1:
        return text
    if variants[-1].strip():
        return variants[-1].strip()
    forced = _FORCED_INTENT.match(text)
    return forced.group(0).strip().lstrip("/").split("@")[0].replace("_", " ")


def screen(text: str | None) -> ScreenResult:
    """Screen one message; the most severe verdict over all its variants wins.

    ``negated`` and ``exception`` are gathered over all variants.
    """
    if not text or not text.strip():
        return ScreenResult(None, "")
    patterns = load_patterns()
    best = ScreenResult(None, "")
    negated: set[str] = set()
    exception = framed = False
    for variant in _variants(text):
        masked, masked_any = _mask_exceptions(normalise(variant, patterns), patterns)
        result = _screen_normalised(masked, patterns)
        negated |= result.negated
        exception = exception or masked_any
        framed = framed or any(context.search(masked) for context in patterns.framing)
        if _SEVERITY[result.category] > _SEVERITY[best.category]:
            best = result
    return ScreenResult(best.category, best.reason, frozenset(negated),
                        exception, best.red_flag_category, best.confirmable, framed)
