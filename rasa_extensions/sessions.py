"""Sessions that stay small, so a message costs the same on a salesperson's hundredth day.

The rules are in ``dealcoach.serving.sessions`` (why a session ends, what carries over); this
applies them inside Rasa 3.6, which has no setting for any of the three:

1. ``MessageProcessor._has_session_expired``: a session also ends once it holds
   ``SESSION_MESSAGES`` user messages (Rasa only knows the period of silence).
2. ``ActionSessionStart.run``: the new session gets each slot's current value, once
   (Rasa copies every slot event of the session, so the copies pile up from session to
   session, and a new session would start as long as the history behind it).
3. ``SQLTrackerStore._event_query``: the current session is found through an index and
   read as a range of it. Rasa's query scans every event the salesperson ever had, on
   every load and save, with the first session start found by a second scan.

Rasa builds the processor, the action and the tracker store itself, with no hook to
choose their classes: hence wrappers, installed once (``install()``).
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable, List

import sqlalchemy as sa
from rasa.core.actions.action import ActionSessionStart
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from dealcoach.serving.sessions import SESSION_MESSAGES, session_is_full, slots_to_carry

logger = logging.getLogger(__name__)

_MARK = "_dealcoach_sessions"

#: The tracker store's indexes for finding a salesperson's current session.
_INDEXES = (
    ("events_sender_type_time", ("sender_id", "type_name", "timestamp")),
    ("events_sender_time", ("sender_id", "timestamp")),
)


def install() -> None:
    """Wrap the three (once, however often this is called)."""
    if getattr(MessageProcessor._has_session_expired, _MARK, False):
        return
    MessageProcessor._has_session_expired = _full_or_expired(  # type: ignore[method-assign]
        MessageProcessor._has_session_expired
    )
    ActionSessionStart.run = _start_with_current_values  # type: ignore[method-assign]
    SQLTrackerStore._event_query = _current_session_query  # type: ignore[method-assign]


def messages_in_session(tracker: DialogueStateTracker) -> int:
    """User messages since the tracker's last session start."""
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        count += isinstance(event, UserUttered)
    return count


def _full_or_expired(has_expired: Callable[..., bool]) -> Callable[..., bool]:
    @functools.wraps(has_expired)
    def full_or_expired(self: MessageProcessor, tracker: DialogueStateTracker) -> bool:
        if has_expired(self, tracker):
            return True
        # A domain that turns sessions off (expiration 0) keeps one session.
        if not self.domain.session_config.are_sessions_enabled():
            return False
        return session_is_full(messages_in_session(tracker), SESSION_MESSAGES)

    setattr(full_or_expired, _MARK, True)
    return full_or_expired


async def _start_with_current_values(
    self: ActionSessionStart, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> List[Event]:
    new_session: List[Event] = [SessionStarted()]
    if domain.session_config.carry_over_slots:
        current = {name: slot.value for name, slot in tracker.slots.items()}
        initial = {name: slot.initial_value for name, slot in tracker.slots.items()}
        new_session += [SlotSet(k, v) for k, v in slots_to_carry(current, initial).items()]
    new_session.append(ActionExecuted(ACTION_LISTEN_NAME))
    return new_session


setattr(_start_with_current_values, _MARK, True)


def _current_session_query(
    self: SQLTrackerStore, session: Any, sender_id: str, fetch_events_from_all_sessions: bool
) -> Any:
    """Rasa's query (events since the latest session start, in id order), by index."""
    _ensure_indexes(self)
    events = self.SQLEvent
    query = session.query(events).filter(events.sender_id == sender_id)
    if not fetch_events_from_all_sessions:
        started = (
            session.query(sa.func.max(events.timestamp))
            .filter(events.sender_id == sender_id, events.type_name == SessionStarted.type_name)
            .scalar()
        )
        if started is not None:
            query = query.filter(events.timestamp >= started)
    return query.order_by(events.id)


def _ensure_indexes(store: SQLTrackerStore) -> None:
    if getattr(store, _MARK, False):
        return
    table = store.SQLEvent.__table__
    existing = {index.name for index in table.indexes}
    for name, columns in _INDEXES:
        index = (
            next(i for i in table.indexes if i.name == name)
            if name in existing
            else sa.Index(name, *(table.c[c] for c in columns))
        )
        index.create(bind=store.engine, checkfirst=True)
    setattr(store, _MARK, True)
    logger.debug("tracker store: session indexes in place")
