"""Conversation sessions and their retention: what keeps a message's cost flat.

Rasa loads, replays and saves a salesperson's whole current session on every message.
With one session forever (``session_expiration_time: 0``) a message cost about half a
millisecond more for every message sent before it, and ``var/tracker.db`` grew without
limit (issue 13). Now a session ends:

- after ``SESSION_MINUTES`` of silence (``session_expiration_time`` in ``domain.yml``):
  a call in the middle of a review does not end it, while the separate conversations of
  a working day (before one meeting, after another) each start small;
- after ``SESSION_MESSAGES`` messages, whatever the pace: a salesperson who sends a
  hundred messages in an afternoon still gets the cost of at most fifty. A whole review
  with its advice takes 20-40 messages, so most reviews fit in one session.

Nothing a salesperson needs is lost when a session ends. The deal store (``storage/``)
keeps the deals, the deal being worked on, the review's position (the question asked,
those deferred), quizzes and advice; the session start (``rasa_extensions/sessions.py``)
carries the current value of each slot over (a yes/no check or a deletion waiting for
its answer, facts given before the client was named, the concept explained last). Rasa's
own carry-over copied every slot event of the session instead, so the copies grew from
session to session. The message that starts a session is answered with the session
before still in view ("Which client is this about?" keeps its answer).

``prune_conversations`` removes old conversation events from Rasa's SQLite tracker store
(``dealcoach prune-conversations``, ``make prune``). It never opens the deal store.

No Rasa import here: ``rasa_extensions/sessions.py`` applies these rules inside Rasa.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping

#: Minutes of silence after which a session ends; must equal ``session_expiration_time``
#: in ``domain.yml`` (``tests/core/test_sessions.py`` checks it).
SESSION_MINUTES = 60

#: Messages after which a session ends, whatever the pace.
SESSION_MESSAGES = 50

#: Days of conversation ``make prune`` keeps by default.
RETENTION_DAYS = 90

#: Rasa's name for the event that opens a session (``SessionStarted.type_name``).
SESSION_STARTED = "session_started"


def session_is_full(messages_in_session: int, limit: int = SESSION_MESSAGES) -> bool:
    """Whether a session holding ``messages_in_session`` user messages should end
    before the next one (``limit`` 0 or less: never by count)."""
    return limit > 0 and messages_in_session >= limit


def slots_to_carry(current: Mapping[str, Any], initial: Mapping[str, Any]) -> Dict[str, Any]:
    """The slots a new session starts with: each slot's current value where it differs
    from the slot's initial value (one value per slot, not the session's every change)."""
    return {
        name: value
        for name, value in current.items()
        if value is not None and value != initial.get(name)
    }


@dataclass
class PruneReport:
    """What ``prune_conversations`` did."""

    events_removed: int
    conversations_touched: int
    events_left: int
    bytes_before: int
    bytes_after: int


def prune_conversations(
    tracker_db: Path | str, older_than_days: float, now: float | None = None, vacuum: bool = True
) -> PruneReport:
    """Remove the conversation events older than ``older_than_days`` from Rasa's SQLite
    tracker store, except those of each salesperson's current session.

    The current session is what Rasa loads for the next message (its slots hold a
    question waiting for its answer), so it stays whatever its age; it is at most
    ``SESSION_MESSAGES`` messages. Events before it are never loaded again: removing
    them changes no answer. ``vacuum`` gives the freed space back to the file system.
    Raises ``FileNotFoundError`` when there is no tracker database at the path and
    ``ValueError`` for a negative period.
    """
    path = Path(tracker_db)
    if older_than_days < 0:
        raise ValueError("the period must be 0 days or more")
    if not path.is_file():
        raise FileNotFoundError(f"no tracker database at {path}")
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    bytes_before = _size(path)
    connection = sqlite3.connect(str(path), timeout=30)
    try:
        if not _has_events_table(connection):
            return PruneReport(0, 0, 0, bytes_before, bytes_before)
        with connection:  # one transaction: all of it or nothing
            connection.execute(
                "CREATE TEMP TABLE current_session AS SELECT sender_id, MAX(timestamp) AS "
                "started FROM events WHERE type_name = ? GROUP BY sender_id",
                [SESSION_STARTED],
            )
            touched = connection.execute(
                "SELECT COUNT(DISTINCT e.sender_id) FROM events e JOIN current_session c "
                "ON c.sender_id = e.sender_id WHERE e.timestamp < ? AND e.timestamp < c.started",
                [cutoff],
            ).fetchone()[0]
            removed = connection.execute(
                "DELETE FROM events WHERE timestamp < ? AND timestamp < (SELECT started FROM "
                "current_session c WHERE c.sender_id = events.sender_id)",
                [cutoff],
            ).rowcount
            connection.execute("DROP TABLE current_session")
        left = connection.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        if vacuum and removed:
            connection.execute("VACUUM")
    finally:
        connection.close()
    return PruneReport(removed, touched, left, bytes_before, _size(path))


def _has_events_table(connection: sqlite3.Connection) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
    ).fetchone()
    return found is not None


def _size(path: Path) -> int:
    """The database's bytes on disk, with its journal files."""
    return sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()
    )
