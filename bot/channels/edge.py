"""What every request to Rasa meets, whatever its route: installed once per app by the
REST channel (``bot.channels.rest``), which every configuration loads.

* ``GET /`` answers "Hello" without Rasa's version (Rasa's own root route tells it,
  which helps only someone looking for a known vulnerability).
* No response allows credentials (Rasa's CORS layer sets
  ``Access-Control-Allow-Credentials: true`` for the origins it allows; the bot uses no
  cookies, so that would only widen what another site's script could do).
* A message to any channel's webhook over its sender's or its address's rate limit
  (``bot.channels.rate_limit``) gets a 429 with the clinic's wording
  (``server.rate_limit_message``) and ``Retry-After``, before Rasa reads it.
"""

from __future__ import annotations

import json

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels.rate_limit import RateLimits

ROOT_REPLY = "Hello"
_INSTALLED = "pain_edge_installed"


async def _hide_version(request: Request, reply: HTTPResponse) -> HTTPResponse | None:
    """Rasa's root reply ("Hello from Rasa: 3.6.21") without the version."""
    if request.path == "/" and reply.body and reply.body.startswith(b"Hello from Rasa"):
        return response.text(ROOT_REPLY)
    return None


async def _no_credentials(_request: Request, reply: HTTPResponse) -> None:
    reply.headers.pop("Access-Control-Allow-Credentials", None)


def sender_of(request: Request) -> str | None:
    """The sender id a webhook request names, when its body is a JSON object with one."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        return None
    sender = body.get("sender") if isinstance(body, dict) else None
    return sender if isinstance(sender, str) and sender else None


def rate_limiter(limits: RateLimits, message: str):  # noqa: ANN201 - a Sanic middleware
    """A request middleware refusing webhook messages over ``limits`` with a 429."""
    async def limit(request: Request) -> HTTPResponse | None:
        if request.method != "POST" or not request.path.startswith("/webhooks/") \
                or not request.path.endswith("/webhook"):
            return None
        address = request.remote_addr or request.ip
        if limits.allows(address, sender_of(request)):
            return None
        return response.json({"error": "too_many_requests", "message": message}, status=429,
                             headers={"Retry-After": str(limits.retry_after())})
    return limit


def install(app: Sanic) -> None:
    """Adds the app-wide middleware above (once, however many channels call it); the
    rate limits are read from the settings and checked here."""
    if getattr(app.ctx, _INSTALLED, False):
        return
    setattr(app.ctx, _INSTALLED, True)
    server = settings.section("server")
    app.register_middleware(rate_limiter(RateLimits.from_settings(server),
                                         str(server.get("rate_limit_message") or "")),
                            "request")
    app.register_middleware(_hide_version, "response")
    # after every other response middleware, Rasa's CORS layer included (its listener
    # ran before this one: Rasa configures CORS before it registers the channels)
    app.response_middleware.append(_no_credentials)
