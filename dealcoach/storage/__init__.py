"""Storage: every salesperson's deals, their history, their session and their quizzes.

``protocols.py`` says what the rest of dealcoach may ask (four repositories, each
scoped to one owner), ``records.py`` what comes back, ``sqlite.py`` the embedded
SQLite backend and ``schema.py`` its tables and migrations. Callers open everything
with ``open_store`` and type against ``Store`` and the protocols, never a backend,
so a server database can be added as another backend without touching them; it
must pass ``tests/core/test_store_contract.py`` like SQLite does.
"""

from __future__ import annotations

from pathlib import Path

from dealcoach.storage.protocols import (
    DealRepository,
    HistoryRepository,
    QuizRepository,
    SessionRepository,
    Store,
    owner_id,
)
from dealcoach.storage.records import (
    AdviceGiven,
    FactChange,
    NameClash,
    QuizAnswer,
    QuizResult,
    QuizRun,
    Review,
    UnknownDeal,
    UnknownQuiz,
)
from dealcoach.storage.schema import SCHEMA_VERSION, SchemaTooNew
from dealcoach.storage.sqlite import SQLiteStore, database_path

__all__ = [
    "SCHEMA_VERSION",
    "AdviceGiven",
    "DealRepository",
    "FactChange",
    "HistoryRepository",
    "NameClash",
    "QuizAnswer",
    "QuizRepository",
    "QuizResult",
    "QuizRun",
    "Review",
    "SQLiteStore",
    "SchemaTooNew",
    "SessionRepository",
    "Store",
    "UnknownDeal",
    "UnknownQuiz",
    "database_path",
    "open_store",
    "owner_id",
]


def open_store(path: Path | str | None = None) -> SQLiteStore:
    """Every repository on the SQLite file at ``path`` (default ``database_path()``),
    created private if missing and upgraded to the current schema.

    ``SchemaTooNew`` when the file was written by a newer dealcoach."""
    return SQLiteStore(path)
