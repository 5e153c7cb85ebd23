"""Rasa's SQL tracker store for a team: a bounded pool, and failures that are not hidden.

Rasa's ``SQLTrackerStore`` does three things that do not fit several replicas on one
PostgreSQL:

* **Pool.** On PostgreSQL it asks SQLAlchemy for a pool of 50 connections plus 100
  overflow per process (``create_engine_kwargs``, changeable only through the
  ``SQL_POOL_SIZE`` and ``SQL_MAX_OVERFLOW`` environment variables). Two replicas with
  a few Sanic workers each could ask for more connections than PostgreSQL's default
  100. Rasa calls the store synchronously from its event loop, so a process uses one
  connection at a time; here the pool is ``pool_size`` (5) kept plus ``max_overflow``
  (5), set in the endpoints file, with ``pool_timeout`` (30 s) to wait for a free one.
  Each connection is checked before use (``pool_pre_ping``), so that after a
  PostgreSQL restart the first message on a stale connection does not fail.
* **Silent fallback.** ``Agent`` wraps every tracker store in ``FailSafeTrackerStore``:
  when the database fails, ``retrieve`` answers "no conversation" (the bot starts the
  salesperson's conversation afresh) and ``save`` keeps the conversation in this
  replica's memory only, with one error line in the log. Replicas then drift apart
  and the conversation's turns are lost on a restart. This store is not wrapped (see
  ``install``): a failure reaches the caller as the database's own exception, the
  message fails with the error in the log (the REST channel answers with no reply), and nothing
  is kept anywhere else. The next message, once the database is back, continues the
  stored conversation.
* **Endless wait at start.** Rasa retries every 5 s, for ever, while the database
  does not answer. Here the start waits at most ``startup_wait`` seconds (60), then
  Rasa's "Cannot connect to tracker store" stops it, so a replica that cannot reach
  its database does not sit in the load balancer as if it were starting.

The tables, the queries and the saving are Rasa's (this is a subclass); only the
engine and the start differ. Rasa's loader turns an ``ImportError`` or
``AttributeError`` raised while building a custom store into an in-memory store with
a warning, so errors of that kind raised here leave as ``RuntimeError``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Optional

import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    SQLTrackerStore,
    TrackerStore,
    create_engine_kwargs,
    validate_port,
)
from rasa.shared.core.domain import Domain
from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)

_INSTALLED = "_dealcoach_strict_stores_unwrapped"


def install() -> None:
    """Make ``Agent`` use a ``StrictSQLTrackerStore`` as it is, not inside FailSafe.

    ``Agent._create_tracker_store`` has no setting for this. Rasa builds the tracker
    store from the endpoints file before it creates the ``Agent``, and every
    ``StrictSQLTrackerStore`` calls this when it is built, so the change is in place
    whenever such a store reaches an Agent. Other stores keep Rasa's wrapper.
    """
    if getattr(Agent._create_tracker_store, _INSTALLED, False):
        return
    rasa_create = Agent._create_tracker_store

    def create_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
        inner = store._tracker_store if isinstance(store, FailSafeTrackerStore) else store
        if isinstance(inner, StrictSQLTrackerStore):
            inner.domain = domain
            return inner
        return rasa_create(store, domain)

    setattr(create_tracker_store, _INSTALLED, True)
    Agent._create_tracker_store = staticmethod(create_tracker_store)  # type: ignore[method-assign]


class StrictSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with a bounded pool and no silent fallback (see the module)."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        dialect: str = "sqlite",
        host: Optional[str] = None,
        port: Optional[int] = None,
        db: str = "rasa.db",
        username: Optional[str] = None,
        password: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        login_db: Optional[str] = None,
        query: Optional[Dict] = None,
        pool_size: int = 5,
        max_overflow: int = 5,
        pool_timeout: float = 30,
        pool_pre_ping: bool = True,
        connect_timeout: int = 10,
        startup_wait: float = 60,
        **kwargs: Any,
    ) -> None:
        """Connect (waiting at most ``startup_wait`` s) and create Rasa's tables.

        Settings come from the endpoints file, where ``${VARS}`` arrive as strings;
        empty strings count as not given; a setting it does not know is an error.
        ``connect_timeout`` (PostgreSQL) bounds one connection attempt to a host that
        does not answer at all.
        """
        if kwargs:
            # Rasa's base class would swallow them: a misspelt pool_size must not pass.
            raise ValueError(f"unknown tracker store settings: {', '.join(sorted(kwargs))}")
        install()
        try:
            url = self.get_db_url(
                dialect,
                host or None,
                validate_port(port or None),
                db,
                username or None,
                password or None,
                login_db or None,
                query,
            )
            self._engine_settings = dict(
                pool_size=int(pool_size),
                max_overflow=int(max_overflow),
                pool_timeout=float(pool_timeout),
                pool_pre_ping=_boolean(pool_pre_ping),
                connect_timeout=int(connect_timeout),
            )
            self.engine = self._bounded_engine(url, **self._engine_settings)
            self._create_tables(db, bool(login_db), float(startup_wait))
        except (ImportError, AttributeError) as error:
            raise RuntimeError(f"cannot build the SQL tracker store: {error}") from error
        self.sessionmaker = sessionmaker(bind=self.engine)
        TrackerStore.__init__(self, domain, event_broker)

    @staticmethod
    def _bounded_engine(url: Any, connect_timeout: int, **pool: Any) -> sa.engine.Engine:
        """An engine whose QueuePool never holds more than pool_size + max_overflow.

        Rasa's own engine options (the PostgreSQL schema of ``POSTGRESQL_SCHEMA``) are
        kept; its pool sizes are replaced. SQLite gets the same kind of pool (SQLAlchemy
        1.4 would open a connection per use), so the bounds hold on every dialect.
        """
        options = create_engine_kwargs(url)
        options.update(pool, poolclass=sa.pool.QueuePool)
        connect_args = dict(options.get("connect_args", {}))
        backend = sa.engine.make_url(url).get_backend_name()
        if backend == "postgresql":
            connect_args["connect_timeout"] = connect_timeout
        elif backend == "sqlite":
            # Pooled connections may be handed to another thread than the one that
            # opened them; each is still used by one thread at a time.
            connect_args["check_same_thread"] = False
        options["connect_args"] = connect_args
        return sa.create_engine(url, **options)

    def _create_tables(self, db: str, create_database: bool, startup_wait: float) -> None:
        """Create Rasa's tables, retrying while the database is not (yet) there.

        Replicas starting together may both try to create the tables; the loser's
        error is retried too, and then finds them. After ``startup_wait`` seconds the
        last error is raised: Rasa's ``TrackerStore.create`` reports an
        ``OperationalError`` as "Cannot connect to tracker store".
        """
        deadline = time.monotonic() + startup_wait
        while True:
            try:
                if create_database:
                    self._create_database_in_place(db)
                    create_database = False
                self.Base.metadata.create_all(self.engine)
                return
            except (
                sa.exc.OperationalError,
                sa.exc.ProgrammingError,
                sa.exc.IntegrityError,
            ) as error:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                logger.warning(f"Tracker store database not ready ({error}); retrying.")
                time.sleep(min(2.0, left))

    def _create_database_in_place(self, db: str) -> None:
        """``login_db``: create ``db`` from the login database, then connect to ``db``."""
        if self.engine.dialect.name != "postgresql":
            raise RuntimeError("login_db works with PostgreSQL only")
        self._create_database(self.engine, db)
        url = self.engine.url.set(database=db)
        self.engine.dispose()
        self.engine = self._bounded_engine(url, **self._engine_settings)


def _boolean(value: Any) -> bool:
    """``true``/``false`` from YAML, or the strings an environment variable gives."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
