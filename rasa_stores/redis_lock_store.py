"""A Redis lock store whose tickets are drawn and returned atomically.

Why: with several Rasa replicas, the lock store is what keeps one conversation on one
replica at a time, its messages in the order they came. Rasa's open-source
``RedisLockStore`` keeps each conversation's ``TicketLock`` as one JSON string and
changes it by reading it, changing it in Python and writing it back (GET, then SET).
Two replicas that draw a ticket at the same moment both read the same queue, both
append ticket ``n`` and both write: they hold the same ticket and are served at the
same time (RasaHQ/rasa#9213; the atomic store is only in Rasa's paid edition). Its
``cleanup`` has the same gap (it checks that nobody waits, then deletes: a ticket
drawn in between is deleted with the lock), and so has ``update_lock`` (a ticket
drawn between its read and its write is overwritten).

How: every change is one Lua script, which Redis runs as one step that no other
client's command can interleave with:

* ticket numbers come from one ``INCR`` counter per Redis database that is never
  reset, so a number is never issued twice, not even after a conversation's queue
  was emptied and deleted: a replica that finishes late (its ticket had expired)
  can only remove its own old number, never a newer holder's;
* each conversation's queue is two sorted sets with the same members (the ticket
  numbers): ``<prefix><conversation>:queue`` ordered by number (who is served: the
  lowest) and ``<prefix><conversation>:expiry`` ordered by expiry time (what to
  drop). Every script first drops the expired tickets, then does its job;
* expiry is measured on Redis's clock (``TIME``), not on each replica's, so replicas
  whose clocks differ agree on which tickets are alive. Replicas see a ticket's
  remaining lifetime and turn it into a time on their own clock. (A script that
  reads the clock and then writes needs Redis 5 or later; Debian 12 has 7.0.)

Ticket lifetime works as in Rasa (``TICKET_LOCK_LIFETIME``, 60 s by default): a
ticket lives that long after it was drawn, whether or not its holder still runs,
so a replica that dies holding a conversation's lock holds it up for at most that
long; then the next ticket is served. One difference: a ticket waiting for its turn
gets its lifetime again at every poll of its waiter (``_acquire_lock``), so it
cannot expire just before the dead holder's. Both keys of a queue expire with its last
ticket, so a conversation nobody writes to leaves nothing behind but the counter.

The class subclasses ``RedisLockStore`` for its connection settings (host, port, db,
password, TLS, ``key_prefix``) and its place in Rasa's checks (several Sanic workers
are allowed with it); its keys do not overlap with the stock store's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Every script begins here. KEYS[1]: the queue by number, KEYS[2]: the queue by
# expiry, KEYS[3]: the ticket counter. `now` is Redis's clock in milliseconds.
# A ticket has expired once its expiry time is in the past (as Rasa's `Ticket`).
_DROP_EXPIRED = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
for _, number in ipairs(expired) do
  redis.call('ZREM', KEYS[1], number)
  redis.call('ZREM', KEYS[2], number)
end
local function expire_with_last_ticket()
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if last[2] then
    redis.call('PEXPIREAT', KEYS[1], last[2])
    redis.call('PEXPIREAT', KEYS[2], last[2])
  end
end
"""

# ARGV[1]: lifetime in ms. Returns the new ticket's number.
_ISSUE = (
    _DROP_EXPIRED
    + """
local number = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], number, number)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), number)
expire_with_last_ticket()
return number
"""
)

# Returns the live tickets in number order, flat: number, ms left, number, ms left...
_STATE = (
    _DROP_EXPIRED
    + """
local state = {}
for _, number in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  table.insert(state, tonumber(number))
  table.insert(state, tonumber(redis.call('ZSCORE', KEYS[2], number)) - now)
end
return state
"""
)

# ARGV[1]: a ticket number. Removes it; returns how many tickets are left.
_FINISH = (
    _DROP_EXPIRED
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
expire_with_last_ticket()
return redis.call('ZCARD', KEYS[1])
"""
)

# ARGV: number, ms left, number, ms left... Replaces the queue with these tickets
# (Rasa's `save_lock`). The counter is raised to the highest number given, so that
# later tickets still come after them.
_REPLACE = (
    _DROP_EXPIRED
    + """
redis.call('DEL', KEYS[1], KEYS[2])
local highest = 0
for i = 1, #ARGV, 2 do
  local number = tonumber(ARGV[i])
  local left = tonumber(ARGV[i + 1])
  if left >= 0 then
    redis.call('ZADD', KEYS[1], number, number)
    redis.call('ZADD', KEYS[2], now + left, number)
  end
  if number > highest then highest = number end
end
if highest > tonumber(redis.call('GET', KEYS[3]) or '0') then
  redis.call('SET', KEYS[3], highest)
end
expire_with_last_ticket()
return redis.call('ZCARD', KEYS[1])
"""
)

# Only drops the expired tickets (Rasa's `update_lock`).
_DROP_ONLY = _DROP_EXPIRED + "\nexpire_with_last_ticket()\nreturn 0\n"

# ARGV[1]: a ticket number, ARGV[2]: lifetime in ms. A live ticket's expiry is set
# to that lifetime from now; returns 1, or 0 when the ticket is no longer queued.
_KEEP_ALIVE = (
    _DROP_EXPIRED
    + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[2]), ARGV[1])
expire_with_last_ticket()
return 1
"""
)

_CONNECTION_SETTINGS = (
    "port",
    "db",
    "username",
    "password",
    "use_ssl",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_ca_certs",
    "key_prefix",
    "socket_timeout",
)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's ticket lock on Redis, every change one atomic step (see the module)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **settings: Any) -> None:
        """Connect as ``RedisLockStore`` would, and check that Redis answers.

        Rasa builds a custom lock store with ``endpoint_config`` only (its ``url`` is
        the host); tests may pass the same settings as keywords. Empty values count
        as not given, so that an unset ``${REDIS_PASSWORD}`` means no password. A Redis
        that does not answer stops the start here, with Rasa's "Cannot connect to lock
        store", rather than failing every message later.
        """
        import redis

        if endpoint_config is not None:
            settings = {"host": endpoint_config.url, **endpoint_config.kwargs, **settings}
        unknown = set(settings) - {"host", *_CONNECTION_SETTINGS}
        if unknown:
            raise ValueError(f"unknown lock store settings: {', '.join(sorted(unknown))}")
        given = {name: value for name, value in settings.items() if value not in (None, "")}
        super().__init__(**given)

        self._issue = self.red.register_script(_ISSUE)
        self._state = self.red.register_script(_STATE)
        self._finish = self.red.register_script(_FINISH)
        self._replace = self.red.register_script(_REPLACE)
        self._drop_expired = self.red.register_script(_DROP_ONLY)
        self._keep_alive = self.red.register_script(_KEEP_ALIVE)
        #: The lifetime each ticket drawn here was given, until it is returned.
        self._lifetimes_ms: Dict[Tuple[str, int], int] = {}
        try:
            self.red.ping()
        except redis.exceptions.RedisError as error:
            # Rasa's LockStore.create turns a ConnectionError into its own message.
            raise ConnectionError(f"Redis lock store does not answer: {error}") from error

    # --- keys ---------------------------------------------------------------------------

    def _keys(self, conversation_id: str) -> List[str]:
        return [
            f"{self.key_prefix}{conversation_id}:queue",
            f"{self.key_prefix}{conversation_id}:expiry",
            f"{self.key_prefix}ticket_counter",
        ]

    # --- what Rasa's LockStore.lock() calls -----------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Draw the next ticket and queue it, in one step (Rasa's read-append-write race)."""
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        try:
            number = int(self._issue(keys=self._keys(conversation_id), args=[lifetime_ms]))
        except Exception as error:
            # Rasa's contract: a lock that cannot be had is a LockError.
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        self._lifetimes_ms[(conversation_id, number)] = lifetime_ms
        return number

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        """Wait for the ticket's turn as Rasa does, keeping the waiting ticket alive.

        In Rasa a waiting ticket expires a lifetime after it was drawn, like the
        holder's. Behind a replica that died mid-message, a ticket drawn within a
        second of the dead one's then expires before the poll that would have served
        it: the message fails with "Could not acquire lock" after a minute's wait.
        Here each poll gives the waiting ticket its lifetime again, so a live waiter
        is served once the dead holder's ticket expires, and has its whole lifetime
        for the message; a waiter that dies stops polling and expires as before.
        """
        lifetime_ms = self._lifetimes_ms.get(
            (conversation_id, ticket), max(1, int(LOCK_LIFETIME * 1000))
        )
        while True:
            lock = self.get_lock(conversation_id)
            if lock is None or all(t.number != ticket for t in lock.tickets):
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            self._keep_alive(keys=self._keys(conversation_id), args=[ticket, lifetime_ms])

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        """The conversation's live tickets as Rasa's ``TicketLock``; None when there are none.

        Each expiry is placed on this machine's clock from the time Redis says is left,
        so ``TicketLock``'s own expiry checks agree with Redis's.
        """
        state = self._state(keys=self._keys(conversation_id))
        if not state:
            return None
        now = time.time()
        tickets = deque(
            Ticket(int(number), now + int(left) / 1000)
            for number, left in zip(state[::2], state[1::2], strict=True)
        )
        return TicketLock(conversation_id, tickets)

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets in Redis itself (Rasa reads, filters and writes back)."""
        self._drop_expired(keys=self._keys(conversation_id))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove one ticket, in one step."""
        self._finish(keys=self._keys(conversation_id), args=[ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Return the ticket. A queue left empty is deleted by Redis itself.

        Rasa's version checks that nobody waits and then deletes the whole lock, which
        deletes a ticket drawn in between; removing only our own ticket cannot.
        """
        self._lifetimes_ms.pop((conversation_id, ticket_number), None)
        self.finish_serving(conversation_id, ticket_number)

    def is_someone_waiting(self, conversation_id: str) -> bool:
        """Whether any live ticket is queued for the conversation."""
        return bool(self._state(keys=self._keys(conversation_id)))

    # --- the rest of Rasa's LockStore contract ------------------------------------------

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the conversation's queue with ``lock``'s live tickets, in one step.

        Rasa's ``LockStore.lock()`` path never calls this here (the methods above do
        their own atomic steps); it is kept so that code written against Rasa's
        ``LockStore`` works. Like any whole-lock write it replaces what is stored.
        """
        now = time.time()
        args: List[int] = []
        for ticket in lock.tickets:
            args += [ticket.number, int((ticket.expires - now) * 1000)]
        self._replace(keys=self._keys(lock.conversation_id), args=args)

    def delete_lock(self, conversation_id: str) -> None:
        """Delete the conversation's queue (both keys in one command)."""
        deleted = self.red.delete(*self._keys(conversation_id)[:2])
        self._log_deletion(conversation_id, bool(deleted))
