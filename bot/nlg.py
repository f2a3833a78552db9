"""Rasa's templated responses, with the clinic's numbers filled in from bot/settings.yml.

Loaded by Rasa from ``bot/endpoints.yml`` (``nlg: type: bot.nlg.SettingsNLG``). Rasa
builds custom generators as ``cls(endpoint_config=..., domain=...)``
(``rasa.core.nlg.generator._load_from_module_name_in_endpoint_config``).
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import placeholders


class SettingsNLG(TemplatedNaturalLanguageGenerator):
    """Domain responses whose ``{emergency_number}``-style placeholders use the settings.

    Placeholders are filled in ``text``, ``custom``, ``buttons`` and the other fields
    Rasa interpolates; an unset setting gets a sensible fallback wording
    (``bot.placeholders.FALLBACKS``). Values passed explicitly by an action win.
    """

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        values: dict[str, str] | None = None,
    ) -> None:
        responses = domain.responses if domain is not None else {}
        super().__init__(responses)
        self.endpoint_config = endpoint_config
        self.values = placeholders.values() if values is None else dict(values)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """The response for ``utter_action`` with settings (then kwargs) filled in."""
        return await super().generate(
            utter_action, tracker, output_channel, **{**self.values, **kwargs}
        )
