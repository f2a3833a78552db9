"""The whitespace tokenizer, reading at most ``server.max_message_chars`` of a message.

It is the first component of the NLU pipeline, so every channel's messages pass it.
A longer message is cut at that many characters (at the last space before, when there
is one) before anything else reads it: tokenizing, featurizing and classifying a very
long message had blocked Rasa for seconds and cost gigabytes. The whole text stays on
the message as ``full_text`` (not an output property: it is never added to the parse
data) for the safety screen, which reads all of it; the parse data gains
``cut: {"from_chars": n, "to_chars": m}`` so that the answer can say it read only the
beginning.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import settings

FULL_TEXT = "full_text"
CUT = "cut"
DEFAULT_MAX_CHARS = 2000


def max_message_chars() -> int:
    """``server.max_message_chars`` from the clinic's settings (at least 200)."""
    value = int(settings.section("server").get("max_message_chars") or DEFAULT_MAX_CHARS)
    if value < 200:
        raise ValueError(f"server.max_message_chars must be at least 200, not {value}")
    return value


def cut(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its beginning, ended at the last
    space within the limit when there is one in its second half."""
    if len(text) <= limit:
        return text
    space = text.rfind(" ", 0, limit + 1)
    return text[:space if space > limit // 2 else limit].rstrip()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LimitedWhitespaceTokenizer(WhitespaceTokenizer):
    """``WhitespaceTokenizer`` that first cuts over-long messages (see the module)."""

    def __init__(self, config: dict[str, Any], max_chars: int | None = None) -> None:
        super().__init__(config)
        self.max_chars = max_chars if max_chars is not None else max_message_chars()

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LimitedWhitespaceTokenizer:
        """Creates the tokenizer with the clinic's limit (checked here, at start)."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Cuts each over-long message, then tokenizes as ``WhitespaceTokenizer`` does."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self.max_chars:
                kept = cut(text, self.max_chars)
                message.set(FULL_TEXT, text)
                message.set(TEXT, kept)
                message.set(CUT, {"from_chars": len(text), "to_chars": len(kept)},
                            add_to_output=True)
        return super().process(messages)
