"""When the action server cannot be reached, the salesperson is told so.

Every deal fact lives behind the action server (the deal store). Rasa 3.6 has no
setting for what to say when a custom action cannot run: ``RemoteAction.run`` raises,
the processor logs "Encountered an exception while running action ..." with a
traceback and the user gets no reply at all (RasaHQ/rasa#7630 asks for one, open).

``install()`` wraps ``RemoteAction.run``: when the call fails (server down, refused,
timed out, an error status) the action's result is the ``utter_memory_unavailable``
response instead, and one error line (no traceback) is logged. Nothing of the
failed turn was saved by us: the action server did not run, or its own transaction
rolled back. Rejections (``ActionExecutionRejection``) are Rasa's normal control
flow and pass through untouched.

A wrapper rather than a subclass because Rasa builds ``RemoteAction`` itself
(``action_for_name_or_text``), with no hook to choose the class.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Dict, List

from rasa.core.actions.action import (
    ActionExecutionRejection,
    RemoteAction,
    create_bot_utterance,
)
from rasa.shared.core.events import Event

logger = logging.getLogger(__name__)

RESPONSE = "utter_memory_unavailable"
#: Said if a domain has no ``utter_memory_unavailable`` (dealcoach's domain has one).
FALLBACK_TEXT = "I can't reach my memory right now. Please try again in a minute."
_MARK = "_dealcoach_says_when_unreachable"


def install() -> None:
    """Wrap ``RemoteAction.run`` (once, however often this is called)."""
    if getattr(RemoteAction.run, _MARK, False):
        return
    RemoteAction.run = _answer_when_unreachable(RemoteAction.run)  # type: ignore[method-assign]


def _answer_when_unreachable(run: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(run)
    async def run_or_say_unreachable(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> List[Event]:
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # noqa: BLE001 (any failure: the user gets an answer)
            logger.error(
                "Custom action '%s' could not run (%s: %s); told the user.",
                self.name(),
                type(error).__name__,
                error,
            )
            message: Dict[str, Any] = await nlg.generate(
                RESPONSE, tracker, output_channel.name()
            ) or {"text": FALLBACK_TEXT}
            return [create_bot_utterance(message)]

    setattr(run_or_say_unreachable, _MARK, True)
    return run_or_say_unreachable
