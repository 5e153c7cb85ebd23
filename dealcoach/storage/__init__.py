"""Storage: every salesperson's deals, their history, their session and their quizzes.

``protocols.py`` says what the rest of dealcoach may ask (four repositories, each
scoped to one owner), ``records.py`` what comes back, ``sqlite.py`` the embedded
SQLite backend and ``schema.py`` its tables and migrations, ``postgres.py`` the
PostgreSQL backend for a team's replicas and ``postgres_schema.py`` its tables and
migrations, ``transfer.py`` the copy of a SQLite store into PostgreSQL (``dealcoach
migrate``). Callers open everything with ``open_store`` and type against ``Store``
and the protocols, never a backend; every backend passes
``tests/core/test_store_contract.py``.
"""

from __future__ import annotations

import os
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
    LanguageSetting,
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
    "LanguageSetting",
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
    "database_url",
    "is_database_url",
    "open_store",
    "owner_id",
]


def is_database_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.split("://", 1)[0] in (
        "postgresql",
        "postgres",
    )


def database_url() -> str | None:
    """``DEALCOACH_DATABASE_URL`` when set: the PostgreSQL database of a team deployment.

    ``ValueError`` for a URL that does not name PostgreSQL (SQLite is chosen by leaving
    it unset, and its file by ``DEALCOACH_DB``)."""
    url = os.environ.get("DEALCOACH_DATABASE_URL", "").strip()
    if not url:
        return None
    if not is_database_url(url):
        raise ValueError(
            "DEALCOACH_DATABASE_URL must be a PostgreSQL URL "
            "(postgresql://user:password@host:port/database); leave it unset for the "
            "SQLite file of DEALCOACH_DB"
        )
    return url


def open_store(location: Path | str | None = None) -> Store:
    """Every repository of one backend, its schema created or upgraded to the current one.

    ``location`` is a SQLite file's path or a ``postgresql://`` URL. Without one:
    ``DEALCOACH_DATABASE_URL`` when set (PostgreSQL), else the SQLite file at
    ``database_path()``, created private if missing. SQLite needs nothing installed;
    PostgreSQL is imported only when asked for.

    ``SchemaTooNew`` when the database was written by a newer dealcoach."""
    if location is None:
        location = database_url()
    if isinstance(location, str) and "://" in location:
        from dealcoach.storage.postgres import PostgresStore

        if not is_database_url(location):
            raise ValueError(f"not a PostgreSQL URL: {location.split('://', 1)[0]}://...")
        return PostgresStore(location)
    return SQLiteStore(location)
