"""Rasa's stock RedisLockStore against ours, under real contention (figures, not a test).

    PYTHONPATH=. .venv/bin/python -m tests.rasa_stores.race_figures

Starts a throwaway redis-server, then for each store: 6 processes drawing 200 tickets
each for one conversation at once (how many distinct tickets?), and 5 processes
taking 12 turns each through Rasa's ``lock()`` (how many turns overlapped, how many
updates of a shared counter survived, how many processes died of a LockError). The
stock store's figures vary from run to run; the tests assert ours exactly.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path

from tests.rasa_stores import workers
from tests.services.redis import RedisServer

STORES = {
    "Rasa's RedisLockStore": "rasa.core.lock_store.RedisLockStore",
    "AtomicRedisLockStore": "rasa_stores.redis_lock_store.AtomicRedisLockStore",
}
SPAWN = multiprocessing.get_context("spawn")


def run_processes(target, args, count: int) -> list:
    start_together = SPAWN.Barrier(count)
    processes = [SPAWN.Process(target=target, args=(*args, start_together)) for _ in range(count)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    return [process.exitcode for process in processes]


def main() -> None:
    server = RedisServer(Path(tempfile.mkdtemp(prefix="lock-race-"))).start()
    settings = {"host": server.host, "port": server.port, "db": 1}
    record = server.client(db=1)
    try:
        for name, path in STORES.items():
            record.flushdb()
            run_processes(workers.draw_tickets, (path, settings, "anna", 200), 6)
            drawn = record.lrange(workers.LOG, 0, -1)
            print(f"{name}: {len(set(drawn))} distinct tickets of {len(drawn)} drawn")

            record.flushdb()
            exits = run_processes(workers.take_turns, (path, settings, "anna", 12), 5)
            log = [entry.decode().split() for entry in record.lrange(workers.LOG, 0, -1)]
            overlapped = sum(
                1
                for enter, leave in zip(log[::2], log[1::2], strict=False)
                if enter[0] != "enter" or leave[0] != "exit" or enter[1:] != leave[1:]
            )
            counted = int(record.get(workers.SHARED_COUNTER) or 0)
            print(
                f"{name}: {len(log) // 2} turns logged of 60, {overlapped} overlapping, "
                f"shared counter {counted} of 60, {sum(1 for e in exits if e)} of 5 "
                "processes failed"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
