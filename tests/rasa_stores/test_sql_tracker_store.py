"""The strict SQL tracker store: a bounded pool, and database failures that are not hidden.

Run on SQLite (the pool and failure behaviour are the same code on every dialect)
and against a PostgreSQL address where nothing listens; the run on a real
PostgreSQL belongs with the team topology's tests.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest
import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    SQLTrackerStore,
    TrackerStore,
    create_engine_kwargs,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import ConnectionException
from rasa.utils.endpoints import EndpointConfig

from rasa_stores.sql_tracker_store import StrictSQLTrackerStore
from testkit.loopback import free_port

OURS = "rasa_stores.sql_tracker_store.StrictSQLTrackerStore"
DOMAIN = Domain.from_yaml("version: '3.1'\nintents: [greet]\n")


def conversation(sender: str, text: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    return tracker


def run(coroutine):
    return asyncio.run(coroutine)


def test_rasas_own_pool_on_postgresql_is_50_plus_100_per_process():
    # Why the bound is needed: what Rasa's SQLTrackerStore asks SQLAlchemy for.
    options = create_engine_kwargs("postgresql://rasa@127.0.0.1:5432/rasa")
    assert (options["pool_size"], options["max_overflow"]) == (50, 100)


def test_the_pool_never_holds_more_than_its_bound(tmp_path):
    store = StrictSQLTrackerStore(
        DOMAIN, db=str(tmp_path / "t.db"), pool_size=2, max_overflow=1, pool_timeout=0.2
    )
    assert store.engine.pool.size() == 2
    held = [store.engine.connect() for _ in range(3)]
    with pytest.raises(sa.exc.TimeoutError, match="limit of size 2 overflow 1"):
        store.engine.connect()
    for connection in held:
        connection.close()
    # Given back, the connections serve again.
    run(store.save(conversation("anna", "hello")))
    assert run(store.retrieve("anna")).latest_message.text == "hello"


def test_settings_from_an_endpoints_file_arrive_as_strings(tmp_path):
    store = TrackerStore.create(
        EndpointConfig(
            type=OURS,
            dialect="sqlite",
            db=str(tmp_path / "t.db"),
            url="",  # an unset ${HOST}
            pool_size="3",
            max_overflow="4",
            pool_timeout="5",
            pool_pre_ping="false",
            startup_wait="0",
        ),
        domain=DOMAIN,
    )
    assert isinstance(store, StrictSQLTrackerStore)
    pool = store.engine.pool
    assert (pool.size(), pool._max_overflow, pool.timeout(), pool._pre_ping) == (3, 4, 5.0, False)


def test_a_misspelt_setting_is_an_error(tmp_path):
    config = EndpointConfig(type=OURS, dialect="sqlite", db=str(tmp_path / "t.db"), pool_sise=2)
    with pytest.raises(ValueError, match="unknown tracker store settings: pool_sise"):
        TrackerStore.create(config, domain=DOMAIN)


def test_rasas_agent_uses_it_unwrapped_and_keeps_failsafe_for_others(tmp_path):
    ours = StrictSQLTrackerStore(DOMAIN, db=str(tmp_path / "ours.db"))
    stock = SQLTrackerStore(DOMAIN, db=str(tmp_path / "stock.db"))

    assert Agent(domain=DOMAIN, tracker_store=ours).tracker_store is ours
    assert isinstance(Agent(domain=DOMAIN, tracker_store=stock).tracker_store, FailSafeTrackerStore)
    # Rasa's model reload hands the old agent's (possibly wrapped) store to a new Agent.
    assert Agent(domain=DOMAIN, tracker_store=FailSafeTrackerStore(ours)).tracker_store is ours


def _lose_the_database(store: SQLTrackerStore, folder) -> None:
    """The database goes away: open connections closed, the file no longer reachable."""
    store.engine.dispose()
    shutil.move(folder, folder.with_name(folder.name + "-gone"))


def test_a_failing_database_is_an_error_not_a_fresh_conversation(tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    store = Agent(
        domain=DOMAIN, tracker_store=StrictSQLTrackerStore(DOMAIN, db=str(folder / "t.db"))
    ).tracker_store
    run(store.save(conversation("anna", "the CFO decides")))
    _lose_the_database(store, folder)

    with pytest.raises(sa.exc.OperationalError):
        run(store.retrieve("anna"))
    with pytest.raises(sa.exc.OperationalError):
        run(store.get_or_create_tracker("anna"))
    with pytest.raises(sa.exc.OperationalError):
        run(store.save(conversation("anna", "and Jan is the buyer")))

    # Back again: the stored conversation continues, nothing was kept elsewhere.
    shutil.move(folder.with_name("db-gone"), folder)
    assert run(store.retrieve("anna")).latest_message.text == "the CFO decides"


def test_rasas_stock_store_hides_the_same_failure(tmp_path):
    # What the strict store replaces: through Rasa's Agent, the same failure reads as
    # "no conversation" and the save goes to this process's memory.
    folder = tmp_path / "db"
    folder.mkdir()
    store = Agent(
        domain=DOMAIN, tracker_store=SQLTrackerStore(DOMAIN, db=str(folder / "t.db"))
    ).tracker_store
    run(store.save(conversation("anna", "the CFO decides")))
    _lose_the_database(store._tracker_store, folder)

    assert run(store.retrieve("anna")) is None
    fresh = run(store.get_or_create_tracker("anna"))
    assert fresh.latest_message.text is None  # the salesperson's conversation is gone
    run(store.save(conversation("anna", "and Jan is the buyer")))  # no error
    assert run(store.fallback_tracker_store.retrieve("anna")) is not None


def test_an_unreachable_postgresql_stops_the_start_with_rasas_message():
    config = EndpointConfig(
        type=OURS,
        dialect="postgresql",
        url="127.0.0.1",
        port=str(free_port()),  # nothing listens there
        db="rasa",
        username="rasa",
        password="secret",
        startup_wait="0",
    )
    with pytest.raises(ConnectionException, match="Cannot connect to tracker store"):
        TrackerStore.create(config, domain=DOMAIN)


def test_an_unreachable_postgresql_is_retried_until_the_startup_wait_is_over(caplog):
    port = free_port()
    with pytest.raises(sa.exc.OperationalError, match=str(port)):
        StrictSQLTrackerStore(
            DOMAIN, dialect="postgresql", host="127.0.0.1", port=port, db="rasa", startup_wait=1
        )
    assert "Tracker store database not ready" in caplog.text
