"""When Rasa's own stores cannot be reached, the salesperson is told so.

In a team deployment the conversations live in PostgreSQL (the tracker store) and
the turn-taking in Redis (the lock store). When either is down, Rasa fails the
message before or after its actions ran (``rasa_stores/sql_tracker_store.py`` lets
the database's error through instead of falling back to memory): the REST channel
answers with an empty list, the socket.io channel with nothing, and the salesperson
is left waiting.

``install()`` wraps ``Agent.handle_message``: a database or Redis connection error
sends the ``utter_memory_unavailable`` response's text to the message's channel
and logs one error line. Nothing was stored half: the tracker store saves a turn in
one transaction or not at all, and a deal's facts are written by the action
server's own transaction. Once the store is back, the next message continues the
stored conversation (the tracker store's pool checks a connection before use).
Redis unreachable while a ticket is drawn reaches here as Rasa's ``LockError``
caused by Redis's connection error, and is answered the same way: the message was
not handled at all. Other errors are not ours to explain and pass through.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Optional

import redis.exceptions
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError

from rasa_extensions.action_server_unreachable import FALLBACK_TEXT, RESPONSE

logger = logging.getLogger(__name__)

#: What "cannot reach the store" raises: the database's connection errors (SQLAlchemy
#: wraps psycopg2's), and Redis's refused or timed-out connections.
UNREACHABLE = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
_MARK = "_dealcoach_says_when_stores_unreachable"


def install() -> None:
    """Wrap ``Agent.handle_message`` (once, however often this is called)."""
    if getattr(Agent.handle_message, _MARK, False):
        return
    Agent.handle_message = _answer_when_unreachable(Agent.handle_message)  # type: ignore[method-assign]


def unreachable_text(agent: Agent) -> str:
    """The domain's ``utter_memory_unavailable`` text (a fallback without one)."""
    domain = agent.domain
    for variant in (domain.responses.get(RESPONSE) if domain else None) or []:
        if variant.get("text"):
            return variant["text"]
    return FALLBACK_TEXT


def unreachable_cause(error: BaseException) -> Optional[BaseException]:
    """The store's connection error behind ``error``, or None.

    The lock store reports a Redis it cannot reach while drawing a ticket as Rasa's
    ``LockError`` (its contract), with Redis's error as the cause; any other
    ``LockError`` (a lock not had in time) is not an unreachable store.
    """
    seen: Optional[BaseException] = error
    while seen is not None:
        if isinstance(seen, UNREACHABLE):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _answer_when_unreachable(handle: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handle)
    async def handle_or_say_unreachable(self: Agent, message: UserMessage) -> Optional[Any]:
        try:
            return await handle(self, message)
        except (*UNREACHABLE, LockError) as raised:
            error = unreachable_cause(raised)
            if error is None:
                raise
            logger.error(
                "A message could not be handled: a store is unreachable (%s: %s); told the user.",
                type(error).__name__,
                str(error).strip().splitlines()[0] if str(error).strip() else "",
            )
            if message.output_channel is not None:
                await message.output_channel.send_response(
                    message.sender_id, {"text": unreachable_text(self)}
                )
            return None

    setattr(handle_or_say_unreachable, _MARK, True)
    return handle_or_say_unreachable
