"""The REST channel (``POST /webhooks/rest/webhook``), with its request body checked.

Registered in ``bot/credentials.yml`` as ``bot.channels.rest.RestChannel:``, under the
same name and URL as Rasa's own ``rest`` channel, whose replies it keeps. Rasa's
``RestInput`` pools every message that has no ``sender`` (or a null one) into a single
conversation called "default", so "tell me more" or "where is that from?" could show one
caller what another asked; and it answers a body that is not a JSON object with a 500.
Here those requests get a 400 with a one-line reason and no stack trace. It also
installs the app-wide edge rules (``bot.channels.edge``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Sanic
from sanic.exceptions import InvalidUsage as BadRequest  # 400 (Sanic 21.12)
from sanic.request import Request

from bot.channels import edge, safety_first


def _body(request: Request) -> dict[str, Any]:
    """The JSON object the request carries (``BadRequest`` for anything else)."""
    try:
        body = request.json  # Sanic raises a 400 itself for a body that is not JSON
    except RecursionError:  # a body nested a thousand deep (it had got a 500)
        raise BadRequest("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with 'sender' and 'message'")
    return body


class RestChannel(RestInput):
    """Rasa's REST channel, refusing requests without a sender or a text message."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, behind the safety guard (``bot.channels.safety_first``);
        when the server starts, the app-wide edge rules (``bot.channels.edge``) are
        installed."""
        routes = safety_first.guard(super().blueprint, on_new_message)

        @routes.listener("before_server_start")
        async def install_edge(app: Sanic, _loop: object) -> None:
            edge.install(app)

        return routes

    async def _extract_sender(self, req: Request) -> str:
        """The caller's own conversation id: a non-empty string, never a shared default."""
        sender = _body(req).get("sender")
        if not isinstance(sender, str) or not sender.strip():
            raise BadRequest("'sender' must be a non-empty string, one per person")
        return sender

    def _extract_message(self, req: Request) -> str:
        """The message text (``BadRequest`` unless it is a string)."""
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise BadRequest("'message' must be a string")
        return message
