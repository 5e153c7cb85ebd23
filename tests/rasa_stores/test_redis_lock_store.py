"""The atomic Redis lock store, on a real throwaway redis-server.

Why it exists is shown first: Rasa's stock ``RedisLockStore``, with two replicas'
steps interleaved by hand, gives the same ticket to both and deletes a ticket drawn
during its cleanup. Then ours: the same replicas get distinct tickets; many processes
taking turns on one conversation are served one at a time in ticket order; a holder
that is killed holds the conversation until its ticket expires, then the next is
served; and Rasa's lock store contract behaves as Rasa's own in-memory store.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time

import pytest
from rasa.core.agent import Agent
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.core.utils import number_of_sanic_workers
from rasa.shared.exceptions import ConnectionException
from rasa.utils.endpoints import EndpointConfig

from rasa_stores.redis_lock_store import AtomicRedisLockStore
from testkit.loopback import free_port
from tests.rasa_stores import workers

OURS = "rasa_stores.redis_lock_store.AtomicRedisLockStore"
STOCK = "rasa.core.lock_store.RedisLockStore"
SPAWN = multiprocessing.get_context("spawn")


# --- why: the stock store under two replicas ------------------------------------------------


def test_stock_redis_lock_store_gives_two_replicas_the_same_ticket(redis_settings):
    # Rasa's LockStore.issue_ticket is get_or_create_lock, TicketLock.issue_ticket,
    # save_lock: three steps. Replica B runs its steps between replica A's.
    replica_a, replica_b = RedisLockStore(**redis_settings), RedisLockStore(**redis_settings)
    lock_a = replica_a.get_or_create_lock("anna")
    lock_b = replica_b.get_or_create_lock("anna")
    ticket_a = lock_a.issue_ticket(60)
    ticket_b = lock_b.issue_ticket(60)
    replica_a.save_lock(lock_a)
    replica_b.save_lock(lock_b)

    assert ticket_a == ticket_b
    stored = replica_a.get_lock("anna")
    assert len(stored.tickets) == 1
    # Both are served at once: the conversation is handled by two replicas together.
    assert not stored.is_locked(ticket_a) and not stored.is_locked(ticket_b)


def test_stock_redis_lock_store_cleanup_deletes_a_ticket_drawn_meanwhile(redis_settings):
    # Rasa's cleanup: finish_serving, is_someone_waiting, delete_lock. B draws its
    # ticket after A found nobody waiting and before A deletes the lock.
    replica_a, replica_b = RedisLockStore(**redis_settings), RedisLockStore(**redis_settings)
    ticket_a = replica_a.issue_ticket("anna")
    replica_a.finish_serving("anna", ticket_a)
    assert not replica_a.is_someone_waiting("anna")
    replica_b.issue_ticket("anna")
    replica_a.delete_lock("anna")

    # B's ticket is gone: Rasa's _acquire_lock raises LockError for a missing lock.
    assert replica_b.get_lock("anna") is None


def test_ours_gives_two_replicas_distinct_tickets_and_serves_one(redis_settings):
    replica_a = AtomicRedisLockStore(**redis_settings)
    replica_b = AtomicRedisLockStore(**redis_settings)
    ticket_a = replica_a.issue_ticket("anna")
    ticket_b = replica_b.issue_ticket("anna")

    assert ticket_a != ticket_b
    stored = replica_b.get_lock("anna")
    assert [t.number for t in stored.tickets] == [ticket_a, ticket_b]
    assert not stored.is_locked(ticket_a)
    assert stored.is_locked(ticket_b)


def test_ours_cleanup_keeps_a_ticket_drawn_meanwhile(redis_settings):
    replica_a = AtomicRedisLockStore(**redis_settings)
    replica_b = AtomicRedisLockStore(**redis_settings)
    ticket_a = replica_a.issue_ticket("anna")
    ticket_b = replica_b.issue_ticket("anna")
    replica_a.cleanup("anna", ticket_a)

    stored = replica_b.get_lock("anna")
    assert [t.number for t in stored.tickets] == [ticket_b]
    assert not stored.is_locked(ticket_b)


# --- several processes, one conversation ------------------------------------------------


def _run_processes(target, args_for_each, count):
    start_together = SPAWN.Barrier(count)
    processes = [
        SPAWN.Process(target=target, args=(*args_for_each, start_together)) for _ in range(count)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0] * count
    return processes


def test_concurrent_draws_from_several_processes_are_all_distinct(redis_server, redis_settings):
    processes, draws = 6, 200
    _run_processes(workers.draw_tickets, (OURS, redis_settings, "anna", draws), processes)

    record = redis_server.client(db=1)
    drawn = [int(t) for t in record.lrange(workers.LOG, 0, -1)]
    assert len(drawn) == processes * draws
    assert len(set(drawn)) == len(drawn)
    # Every drawn ticket is queued, in drawing order.
    queued = AtomicRedisLockStore(**redis_settings).get_lock("anna")
    assert [t.number for t in queued.tickets] == sorted(drawn)


def test_processes_taking_turns_are_served_one_at_a_time_in_ticket_order(
    redis_server, redis_settings
):
    processes, turns = 5, 12
    _run_processes(workers.take_turns, (OURS, redis_settings, "anna", turns), processes)

    record = redis_server.client(db=1)
    log = [entry.decode().split() for entry in record.lrange(workers.LOG, 0, -1)]
    assert len(log) == 2 * processes * turns
    served = []
    for enter, leave in zip(log[::2], log[1::2], strict=True):
        # Nobody enters before the holder has left, and the one who leaves is the holder.
        assert enter[0] == "enter" and leave[0] == "exit"
        assert enter[1:] == leave[1:]
        served.append(int(enter[2]))
    assert served == sorted(set(served))  # distinct tickets, served in ticket order
    assert len({pid for _, pid, _ in log}) == processes
    assert int(record.get(workers.SHARED_COUNTER)) == processes * turns
    # Every ticket was given back: nothing is left but the ticket counter.
    assert AtomicRedisLockStore(**redis_settings).get_lock("anna") is None
    assert {k.decode() for k in record.keys("lock:*")} == {"lock:ticket_counter"}


def test_a_killed_holder_holds_the_conversation_until_its_ticket_expires(
    redis_server, redis_settings
):
    holding = SPAWN.Event()
    holder = SPAWN.Process(
        target=workers.hold_and_hang, args=(OURS, redis_settings, "anna", 8, holding)
    )
    holder.start()
    assert holding.wait(timeout=120)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()

    store = AtomicRedisLockStore(**redis_settings)
    record = redis_server.client(db=1)
    (entry,) = [e.decode().split() for e in record.lrange(workers.LOG, 0, -1)]
    dead_ticket = int(entry[2])
    # The dead replica's ticket still owns the conversation: the next one waits.
    my_ticket = store.issue_ticket("anna")
    assert store.get_lock("anna").now_serving == dead_ticket
    store.finish_serving("anna", my_ticket)

    async def next_message() -> int:
        async with store.lock("anna", wait_time_in_seconds=0.05) as lock:
            return lock.now_serving

    served = asyncio.run(next_message())
    assert served > dead_ticket
    # The dead ticket was dropped by expiry, never given back; ours was.
    assert store.get_lock("anna") is None


def test_a_waiter_drawn_just_after_a_dead_holder_is_served_not_expired(redis_settings):
    # A holder that never returns its ticket (a replica killed mid-message), and the
    # next message's ticket drawn right after it, both with a 2 s lifetime. Polling
    # every 1.5 s, Rasa's own wait finds both tickets expired at its second poll
    # ("Could not acquire lock"); ours keeps the waiting ticket alive and serves it.
    store = AtomicRedisLockStore(**redis_settings)
    dead_ticket = store.issue_ticket("anna", lock_lifetime=2)

    async def next_message() -> int:
        async with store.lock("anna", lock_lifetime=2, wait_time_in_seconds=1.5) as lock:
            return lock.now_serving

    served = asyncio.run(next_message())
    assert served > dead_ticket
    assert store.get_lock("anna") is None


# --- Rasa's contract -------------------------------------------------------------------


@pytest.fixture(params=["in_memory", "atomic_redis"])
def lock_store(request, redis_settings):
    """Rasa's own in-memory store (the reference) and ours, for the same checks."""
    if request.param == "in_memory":
        return InMemoryLockStore()
    return AtomicRedisLockStore(**redis_settings)


def test_lock_store_contract_tickets_and_serving(lock_store):
    assert lock_store.get_lock("anna") is None
    assert not lock_store.is_someone_waiting("anna")

    first = lock_store.issue_ticket("anna", 60)
    second = lock_store.issue_ticket("anna", 60)
    lock = lock_store.get_lock("anna")
    assert second > first
    assert lock.now_serving == first and lock.last_issued == second
    assert not lock.is_locked(first) and lock.is_locked(second)
    assert lock_store.is_someone_waiting("anna")
    assert lock_store.get_lock("bert") is None  # another conversation is untouched

    lock_store.finish_serving("anna", first)
    assert not lock_store.get_lock("anna").is_locked(second)
    lock_store.cleanup("anna", second)
    assert lock_store.get_lock("anna") is None
    assert not lock_store.is_someone_waiting("anna")


def test_lock_store_contract_expiry(lock_store):
    short = lock_store.issue_ticket("anna", 2)
    waiting = lock_store.issue_ticket("anna", 60)
    assert lock_store.get_lock("anna").is_locked(waiting)
    time.sleep(2.5)  # the short ticket's lifetime passes; nothing else is timed
    lock_store.update_lock("anna")
    lock = lock_store.get_lock("anna")
    assert [t.number for t in lock.tickets] == [waiting]
    assert not lock.is_locked(waiting) and lock.is_locked(short)


def test_lock_store_contract_save_and_delete(lock_store):
    lock = lock_store.get_or_create_lock("anna")
    saved = [lock.issue_ticket(60), lock.issue_ticket(60)]
    lock_store.save_lock(lock)
    assert [t.number for t in lock_store.get_lock("anna").tickets] == saved
    assert lock_store.issue_ticket("anna", 60) > max(saved)  # later tickets come after

    lock_store.delete_lock("anna")
    assert lock_store.get_lock("anna") is None


def test_lock_store_contract_lock_serves_in_order(lock_store):
    # What Rasa's processor does for each message: `async with lock_store.lock(id)`.
    order = []

    async def message(name: str, started: asyncio.Event, release: asyncio.Event) -> None:
        async with lock_store.lock("anna", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            started.set()
            await release.wait()
            order.append(f"{name} out")

    async def two_messages() -> None:
        first_in, release_first = asyncio.Event(), asyncio.Event()
        second_in, release_second = asyncio.Event(), asyncio.Event()
        release_second.set()
        first = asyncio.create_task(message("first", first_in, release_first))
        await first_in.wait()
        second = asyncio.create_task(message("second", second_in, release_second))
        await asyncio.sleep(0.1)  # the second gets every chance to (wrongly) enter
        assert order == ["first in"]
        release_first.set()
        await asyncio.gather(first, second)

    asyncio.run(two_messages())
    assert order == ["first in", "first out", "second in", "second out"]
    assert lock_store.get_lock("anna") is None


# --- loaded the way Rasa loads it --------------------------------------------------------


def test_rasa_builds_it_from_an_endpoint_config(redis_settings, monkeypatch):
    config = EndpointConfig(
        url=redis_settings["host"],
        type=OURS,
        port=str(redis_settings["port"]),  # endpoints files with ${VARS} give strings
        db=str(redis_settings["db"]),
        password="",  # an unset ${REDIS_PASSWORD}
        key_prefix="dealcoach",
    )
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix == "dealcoach:lock:"
    ticket = store.issue_ticket("anna")
    assert store.get_lock("anna").now_serving == ticket

    assert Agent(lock_store=store).lock_store is store
    # Rasa allows several Sanic workers per replica with it (not with the in-memory store).
    monkeypatch.setenv("SANIC_WORKERS", "3")
    assert number_of_sanic_workers(config) == 3


def test_an_unreachable_redis_stops_the_start_with_rasas_message():
    config = EndpointConfig(url="127.0.0.1", type=OURS, port=free_port(), socket_timeout=2)
    with pytest.raises(ConnectionException, match="Cannot connect to lock store"):
        LockStore.create(config)


def test_a_redis_that_goes_away_is_a_lock_error(tmp_path):
    from tests.services.redis import RedisServer

    server = RedisServer(tmp_path).start()
    store = AtomicRedisLockStore(host=server.host, port=server.port, socket_timeout=2)
    server.stop()
    with pytest.raises(LockError):
        store.issue_ticket("anna")
