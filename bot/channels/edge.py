"""What every request to Rasa meets, whatever its route: installed once per app by the
REST channel (``bot.channels.rest``), which every configuration loads.

* ``GET /`` answers "Hello" without Rasa's version (Rasa's own root route tells it,
  which helps only someone looking for a known vulnerability).
"""

from __future__ import annotations

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

ROOT_REPLY = "Hello"
_INSTALLED = "pain_edge_installed"


async def _hide_version(request: Request, reply: HTTPResponse) -> HTTPResponse | None:
    """Rasa's root reply ("Hello from Rasa: 3.6.21") without the version."""
    if request.path == "/" and reply.body and reply.body.startswith(b"Hello from Rasa"):
        return response.text(ROOT_REPLY)
    return None


def install(app: Sanic) -> None:
    """Adds the app-wide middleware above (once, however many channels call it)."""
    if getattr(app.ctx, _INSTALLED, False):
        return
    setattr(app.ctx, _INSTALLED, True)
    app.register_middleware(_hide_version, "response")
