"""What the lock store tests run in separate processes (each a replica of its own).

Module-level functions, so that ``multiprocessing``'s spawn start method can import
them in a fresh interpreter: every process has its own Redis connections, as Rasa
replicas on other machines would.
"""

from __future__ import annotations

import asyncio
import os
import time

import redis
from rasa.shared.utils.common import class_from_module_path

# Redis keys the workers write their record to (outside the lock store's keys).
LOG = "test:log"
SHARED_COUNTER = "test:shared_counter"


def take_turns(store_path, settings, conversation_id, turns, start_together) -> None:
    """Handle ``turns`` messages of one conversation, each inside Rasa's ``lock()``.

    Inside the lock: log "enter", a deliberately unsafe read-then-write of a shared
    counter (it loses updates if two holders overlap), log "exit".
    """
    store = class_from_module_path(store_path)(**settings)
    record = redis.Redis(host=settings["host"], port=settings["port"], db=settings["db"])
    start_together.wait()

    async def turns_in_order() -> None:
        for _ in range(turns):
            async with store.lock(conversation_id, wait_time_in_seconds=0.002) as lock:
                ticket = lock.now_serving
                record.rpush(LOG, f"enter {os.getpid()} {ticket}")
                value = int(record.get(SHARED_COUNTER) or 0)
                time.sleep(0.001)  # widens the window an overlapping holder would hit
                record.set(SHARED_COUNTER, value + 1)
                record.rpush(LOG, f"exit {os.getpid()} {ticket}")

    asyncio.run(turns_in_order())


def hold_and_hang(store_path, settings, conversation_id, lifetime, holding) -> None:
    """Take the conversation's lock and never give it back (the parent kills us)."""
    store = class_from_module_path(store_path)(**settings)
    record = redis.Redis(host=settings["host"], port=settings["port"], db=settings["db"])

    async def hold() -> None:
        async with store.lock(conversation_id, lock_lifetime=lifetime) as lock:
            record.rpush(LOG, f"enter {os.getpid()} {lock.now_serving}")
            holding.set()
            while True:
                time.sleep(60)

    asyncio.run(hold())


def draw_tickets(store_path, settings, conversation_id, draws, start_together) -> None:
    """Draw ``draws`` tickets as fast as possible, never returning them; log each."""
    store = class_from_module_path(store_path)(**settings)
    record = redis.Redis(host=settings["host"], port=settings["port"], db=settings["db"])
    start_together.wait()
    for _ in range(draws):
        record.rpush(LOG, store.issue_ticket(conversation_id, 60))
