"""The stock baseline's one custom action: it replies with a fixed sentence."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionTrivial(Action):
    """Utters one fixed sentence; does nothing else."""

    def name(self) -> str:
        return "action_trivial"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="Here is a fixed reply.")
        return []
