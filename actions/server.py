"""The action server: rasa_sdk's own, except that errors carry no request content.

``python -m actions.server --port 5055`` (what ``bot.serving.stack`` starts). rasa_sdk answers an
exception inside an action with the whole request echoed back (``request_body``: the
tracker, so every message the person wrote, and their sender id), and logs the request
with it. Here the answer is ``{"error": "internal error"}`` and the log line names the
action, the exception's type and the code lines of its traceback: no values, no text.
"""

from __future__ import annotations

import argparse
import logging
import os
import traceback
from functools import partial

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

logger = logging.getLogger("actions.server")
ACTIONS_PACKAGE = "actions"


def action_name(request: Request) -> str:
    """The action a webhook request asked for ("?" when the body does not say)."""
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - a body that is not JSON names no action
        return "?"
    name = body.get("next_action") if isinstance(body, dict) else None
    return name if isinstance(name, str) else "?"


async def private_error(request: Request, exception: Exception) -> HTTPResponse:
    """A 500 that says nothing about the request; a log line with no values in it."""
    frames = "".join(traceback.format_list(traceback.extract_tb(exception.__traceback__)))
    logger.error("action %s failed: %s\n%s", action_name(request),
                 type(exception).__name__, frames.rstrip())
    return response.json({"error": "internal error"}, status=500)


def create_app(executor: ActionExecutor) -> Sanic:
    """rasa_sdk's app (actions, ``/health``) with ``private_error`` for every error."""
    app = create_app_for_serve(executor, cors_origins=None)
    # replaces rasa_sdk's handler for Exception (Sanic refuses a second ``add``)
    app.error_handler.cached_handlers[(Exception, None)] = private_error
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    utils.configure_colored_logging(os.environ.get("LOG_LEVEL", "WARNING"))
    executor = ActionExecutor()
    executor.register_package(ACTIONS_PACKAGE)
    loader = AppLoader(factory=partial(create_app, executor))
    app = loader.load()
    app.prepare(host=os.environ.get("SANIC_HOST", "127.0.0.1"), port=args.port,
                workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
