"""The repositories on a shared PostgreSQL database, for a team's replicas (psycopg2).

Chosen by ``DEALCOACH_DATABASE_URL=postgresql://user:password@host:port/database``
(``open_store``); the tables and their migrations are in ``postgres_schema.py``. The
URL's user creates the tables on first open, so it must own the database (or its
``public`` schema).

**Concurrent replicas lose no update: the deal's row is locked (``SELECT ... FOR
UPDATE``) before it is read.** Every write to a deal or to its history (apply, rename,
delete, reviews, advice) starts its transaction by locking the deal's row, then reads
the deal and its stakeholders, applies the changes and commits. A second replica
writing the same deal waits at its lock until the first commits, and then reads the
deal as the first left it (READ COMMITTED gives each statement after the lock a fresh
snapshot), so both changes end up in the deal. Why locks rather than the other two:

- Row versions (optimistic: ``UPDATE ... WHERE version = n``, retry on a miss) need a
  retry loop around every write and turn contention into repeated work; the apply
  would have to be re-run from the read. Changes are already values applied to the
  deal as it is now, so waiting for the lock gives the same result with no retries.
- Atomic upserts alone cover single-row writes (``open`` and the active deal use
  them), but an apply changes the deal's row, several stakeholders and the fact log
  together, from the state it read: that read-modify-write needs the lock.
- The wait is short (one deal's rows, one transaction, no network round trip to the
  client inside it), and contention is rare: one salesperson's deal, and Rasa's lock
  store already serialises one conversation.

**A unit of work (``Store.transaction``) is one connection and one transaction.** The
coach handles a message inside ``with store.transaction():``; the connection is held
by the thread for the block, and every repository call in it runs on that connection,
in that transaction, instead of taking one of its own from the pool. Inside such a
block a deal is read for writing: ``get``, ``get_by_id`` and ``list_for`` lock the rows
they read (``FOR UPDATE``), so ``apply_to`` writes the deal as read with no other
replica's write in between, exactly as ``apply`` does with its own lock.

Writes to one salesperson's quizzes take a transaction-scoped advisory lock on the
owner instead (a quiz has no parent row to lock), so that two replicas starting or
answering quizzes for one person cannot leave two quizzes running. Reads run in
``REPEATABLE READ READ ONLY`` transactions: a deal and its stakeholders come from one
snapshot, and a read never waits for a writer.

**Connections come from a bounded pool** (``psycopg2.pool.ThreadedConnectionPool``),
``DEALCOACH_DATABASE_POOL_SIZE`` per process (default 4), opened with the store and
kept. A thread takes one
connection for a whole transaction; when all are taken it waits for one to be given
back instead of failing. A pooled connection the server dropped (PostgreSQL restarted)
is found at the start of the next transaction, closed and replaced before any work;
a connection that breaks inside a transaction, or a server that cannot be reached,
raises psycopg2's ``OperationalError`` to the caller: nothing falls back to memory and
nothing is retried that may have been committed.

Owner scoping is in the SQL, as in the SQLite backend: every statement that reads or
writes a deal's rows names the owner, or first checks (and locks) that the deal is the
owner's.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from typing import Any, ContextManager, Dict, Iterator, List, Sequence, Tuple
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.errors
import psycopg2.extras
import psycopg2.pool

from dealcoach.deals.deal import DEAL_FACTS, Change, Deal, Stakeholder, apply_change, name_key
from dealcoach.storage.postgres_schema import migrate
from dealcoach.storage.protocols import Store
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

#: Connections per process unless ``DEALCOACH_DATABASE_POOL_SIZE`` says otherwise. An
#: action server handles one action at a time per process; a few spare serve the CLI
#: and tests. Rasa's own SQL tracker store opens 50 + 100 per process by default.
DEFAULT_POOL_SIZE = 4

#: The first int of the advisory lock key that serialises one owner's quiz writes.
QUIZ_LOCK = 0x0DEA1C0B


def pool_size() -> int:
    """``DEALCOACH_DATABASE_POOL_SIZE`` (a whole number from 1), else the default."""
    text = os.environ.get("DEALCOACH_DATABASE_POOL_SIZE", "").strip()
    if not text:
        return DEFAULT_POOL_SIZE
    if not text.isdigit() or int(text) < 1:
        raise ValueError(
            f"DEALCOACH_DATABASE_POOL_SIZE={text!r}: give the number of database "
            "connections per process, 1 or more"
        )
    return int(text)


def safe_location(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _time(value: datetime | None) -> str | None:
    """A timestamptz as the SQLite backend stores times: ISO text in UTC, to the second."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _json(value: List[str] | None) -> Any:
    """A list for a jsonb column (psycopg2 would send a plain list as an array)."""
    return None if value is None else psycopg2.extras.Json(value)


class PostgresDatabase:
    """The pool, the schema check at open, and one transaction per thread at a time."""

    def __init__(self, url: str, size: int | None = None) -> None:
        self.url = url
        self.location = safe_location(url)
        self.size = size or pool_size()
        # The pool raises when it is exhausted; the semaphore makes callers wait instead.
        self._slots = threading.BoundedSemaphore(self.size)
        self._local = threading.local()
        # minconn = maxconn: psycopg2 closes a returned connection beyond minconn, so a
        # smaller minconn would reconnect for every transaction. The connections open now.
        self._pool = psycopg2.pool.ThreadedConnectionPool(
            self.size, self.size, dsn=url, application_name="dealcoach"
        )
        try:
            with self._connection() as connection:
                migrate(connection, self.location)
        except BaseException:
            self._pool.closeall()
            raise

    def _take(self) -> Any:
        """A connection of the pool in autocommit mode (transactions are explicit);
        waits while all are in use. Give it back with ``_give_back``."""
        self._slots.acquire()
        try:
            connection = self._pool.getconn()
            if not connection.autocommit:
                connection.autocommit = True
        except BaseException:
            self._slots.release()
            raise
        return connection

    def _give_back(self, connection: Any, broken: bool = False) -> None:
        # A connection that failed or closed is not given to the next caller.
        self._pool.putconn(connection, close=broken or bool(connection.closed))
        self._slots.release()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        connection = self._take()
        broken = False
        try:
            yield connection
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            broken = True
            raise
        finally:
            self._give_back(connection, broken)

    def _begin(self, statement: str) -> Any:
        """A connection with a transaction begun on it. A pooled connection the server
        dropped (a restart, an idle timeout) fails at BEGIN, before anything was done:
        it is closed and the next one tried, up to a new connection, whose failure to
        connect (the server is down) reaches the caller."""
        for attempt in range(self.size + 1):
            connection = self._take()
            try:
                with connection.cursor() as cursor:
                    cursor.execute(statement)
                return connection
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                self._give_back(connection, broken=True)
                if attempt == self.size:
                    raise
            except BaseException:
                self._give_back(connection)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[None]:
        """One transaction on this thread's connection; nested uses join the outer one
        (rename applies a change inside the transaction that checked the new name).

        A write runs in READ COMMITTED and locks the rows it changes first; a read runs
        in one REPEATABLE READ READ ONLY snapshot. A connection that breaks inside the
        transaction raises (psycopg2's ``OperationalError``): the work is not retried,
        since the caller cannot know whether the commit happened."""
        local = self._local
        if getattr(local, "connection", None) is not None:
            if write and not local.write:
                raise RuntimeError("a write inside a read-only transaction")
            yield
            return
        connection = self._begin(
            "BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        )
        local.connection, local.write = connection, write
        try:
            try:
                yield
            except BaseException:
                local.connection = None
                if not connection.closed:
                    # The first error says why; a failing rollback must not hide it.
                    with suppress(psycopg2.Error), connection.cursor() as cursor:
                        cursor.execute("ROLLBACK")
                raise
            local.connection = None
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        finally:
            local.connection = None
            # psycopg2 marks a connection it lost as closed: that one is not pooled
            # again. (A deadlock or a refused row is an error of the transaction, not
            # of the connection, which is rolled back and reused.)
            self._give_back(connection)

    def in_write_transaction(self) -> bool:
        """Whether this thread is inside a write transaction (a unit of work, or a write
        method's own): a deal read there is read for writing, and locked."""
        return getattr(self._local, "connection", None) is not None and self._local.write

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the current write transaction that an error undoes alone: the
        transaction goes on without it (PostgreSQL otherwise refuses every later
        statement of a transaction in which one failed)."""
        if not self.in_write_transaction():
            raise RuntimeError("a savepoint is for use inside a write transaction()")
        self.execute("SAVEPOINT dealcoach_part")
        try:
            yield
        except BaseException:
            if not self._local.connection.closed:
                with suppress(psycopg2.Error):
                    self.execute("ROLLBACK TO SAVEPOINT dealcoach_part")
            raise
        self.execute("RELEASE SAVEPOINT dealcoach_part")

    def cursor(self) -> Any:
        """A plain cursor on the current write transaction (bulk work: ``transfer.py``)."""
        if getattr(self._local, "connection", None) is None or not self._local.write:
            raise RuntimeError("a cursor is for use inside transaction()")
        return self._local.connection.cursor()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> List[Dict[str, Any]]:
        """The rows of a query, as dicts, in the current transaction (or a read of its own)."""
        with self.transaction(write=False):
            connection = self._local.connection
            with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                cursor.execute(sql, list(params))
                return [dict(row) for row in cursor.fetchall()] if cursor.description else []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A statement in the current write transaction."""
        connection = getattr(self._local, "connection", None)
        if connection is None or not self._local.write:
            raise RuntimeError("writes run inside transaction()")
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))

    def lock_deal(self, owner: str, deal_id: int) -> Dict[str, Any]:
        """The owner's deal row, locked until the transaction ends; ``UnknownDeal``
        unless the owner has this deal. Every write to a deal or its history starts here."""
        rows = self.rows(
            "SELECT * FROM deals WHERE id = %s AND owner = %s FOR UPDATE", [deal_id, owner]
        )
        if not rows:
            raise UnknownDeal(f"no deal {deal_id} for this owner")
        return rows[0]

    def require(self, owner: str, deal_id: int) -> None:
        """``UnknownDeal`` unless the owner has this deal (for reads: no lock)."""
        if not self.rows("SELECT 1 FROM deals WHERE id = %s AND owner = %s", [deal_id, owner]):
            raise UnknownDeal(f"no deal {deal_id} for this owner")

    def close(self) -> None:
        self._pool.closeall()


_STAKEHOLDER_COLUMNS = (
    "deal_id",
    "position",
    "name",
    "name_key",
    "title",
    "roles",
    "assumed_roles",
    "stance",
    "met",
    "named",
)


def _stakeholder_values(deal_id: int, position: int, person: Stakeholder) -> Tuple[Any, ...]:
    """A stakeholder's row as plain values, in the order of ``_STAKEHOLDER_COLUMNS``
    (lists stay lists here, so that rows before and after compare)."""
    return (
        deal_id,
        position,
        person.name,
        person.key,
        person.title,
        list(person.roles),
        list(person.assumed),
        person.stance,
        person.met,
        person.named,
    )


def _adapted(values: Sequence[Any]) -> List[Any]:
    return [_json(value) if isinstance(value, list) else value for value in values]


class PostgresDeals:
    """``DealRepository`` on the ``deals`` and ``stakeholders`` tables."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    def _for_writing(self) -> str:
        """The lock clause of a deal read: ``FOR UPDATE`` inside a write transaction
        (the deal may be written back with ``apply_to``), none in a read."""
        return " FOR UPDATE" if self._db.in_write_transaction() else ""

    def get(self, owner: str, company: str) -> Deal | None:
        with self._db.transaction(write=False):
            rows = self._db.rows(
                "SELECT * FROM deals WHERE owner = %s AND company_key = %s" + self._for_writing(),
                [owner, name_key(company)],
            )
            return self._deal(rows[0]) if rows else None

    def get_by_id(self, owner: str, deal_id: int) -> Deal | None:
        with self._db.transaction(write=False):
            rows = self._db.rows(
                "SELECT * FROM deals WHERE owner = %s AND id = %s" + self._for_writing(),
                [owner, deal_id],
            )
            return self._deal(rows[0]) if rows else None

    def list_for(self, owner: str) -> List[Deal]:
        with self._db.transaction(write=False):
            if self._db.in_write_transaction():
                # Locked in id order, whatever order they are listed in, so that two
                # transactions locking one owner's deals cannot wait for each other.
                self._db.rows(
                    "SELECT id FROM deals WHERE owner = %s ORDER BY id FOR UPDATE", [owner]
                )
            rows = self._db.rows(
                "SELECT * FROM deals WHERE owner = %s ORDER BY updated_at DESC, id DESC", [owner]
            )
            return [self._deal(row) for row in rows]

    def owners(self) -> List[str]:
        return [
            row["owner"] for row in self._db.rows("SELECT DISTINCT owner FROM deals ORDER BY owner")
        ]

    def _deal(self, row: Dict[str, Any]) -> Deal:
        deal = Deal(
            owner=row["owner"],
            company=row["company"],
            id=row["id"],
            unknown=list(row["unknown"] or []),
            asking=row["asking"],
            asked=row["asked"] or 0,
            deferred=list(row["deferred"] or []),
            status=row["status"],
            created_at=_time(row["created_at"]),
            updated_at=_time(row["updated_at"]),
        )
        for name in DEAL_FACTS:
            setattr(deal, name, row[name])
        for srow in self._db.rows(
            "SELECT * FROM stakeholders WHERE deal_id = %s ORDER BY position, id", [row["id"]]
        ):
            deal.stakeholders.append(
                Stakeholder(
                    name=srow["name"],
                    title=srow["title"],
                    roles=list(srow["roles"] or []),
                    stance=srow["stance"] or "unknown",
                    met=srow["met"],
                    named=bool(srow["named"]),
                    assumed=list(srow["assumed_roles"] or []),
                    id=srow["id"],
                )
            )
        return deal

    def open(self, owner: str, company: str) -> tuple[Deal, bool]:
        company = " ".join(company.split())
        if not name_key(company):
            raise ValueError("a deal needs a client name")
        with self._db.transaction():
            existing = self.get(owner, company)
            if existing:
                return existing, False
            now = _now()
            # Two replicas opening the same new deal: one inserts, the other waits for
            # it on the unique index, inserts nothing and reads the deal it made.
            created = self._db.rows(
                "INSERT INTO deals (owner, company, company_key, unknown, status, created_at, "
                "updated_at) VALUES (%s, %s, %s, '[]', 'open', %s, %s) "
                "ON CONFLICT (owner, company_key) DO NOTHING RETURNING id",
                [owner, company, name_key(company), now, now],
            )
            deal = self.get(owner, company)
        assert deal is not None
        return deal, bool(created)

    def apply(self, owner: str, deal_id: int, changes: Sequence[Change]) -> Deal:
        with self._db.transaction():
            # The lock first, then the read: a concurrent writer of this deal has either
            # committed already (and we read its result) or waits for our commit.
            deal = self._deal(self._db.lock_deal(owner, deal_id))
            return self._write_changes(deal, changes)

    def apply_to(self, owner: str, deal: Deal, changes: Sequence[Change]) -> Deal:
        with self._db.transaction():
            # Read in this transaction with its row locked (``get_by_id`` inside a unit
            # of work), so nobody wrote it since; locking again is free and refuses a
            # deal that is not the owner's before anything is written.
            self._db.lock_deal(owner, int(deal.id or 0))
            return self._write_changes(deal, changes)

    def _write_changes(self, deal: Deal, changes: Sequence[Change]) -> Deal:
        """Apply the changes to the deal (locked and read in this transaction) and write
        what changed: the deal's row, the stakeholders that changed, the fact log."""
        deal_id = int(deal.id or 0)
        facts_before = {name: getattr(deal, name) for name in DEAL_FACTS}
        people_before = {
            person.id: _stakeholder_values(deal_id, position, person)
            for position, person in enumerate(deal.stakeholders)
        }
        for change in changes:
            apply_change(deal, change)
        now = _now()
        self._write_deal(deal, now)
        self._write_stakeholders(deal, people_before)
        for name in DEAL_FACTS:
            if getattr(deal, name) != facts_before[name]:
                self._db.execute(
                    "INSERT INTO fact_log (deal_id, field, old, new, changed_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    [deal_id, name, _text(facts_before[name]), _text(getattr(deal, name)), now],
                )
        deal.updated_at = now
        return deal

    def _write_deal(self, deal: Deal, now: str) -> None:
        facts = [getattr(deal, name) for name in DEAL_FACTS]
        self._db.execute(
            "UPDATE deals SET company = %s, company_key = %s, "
            + ", ".join(f"{name} = %s" for name in DEAL_FACTS)
            + ", unknown = %s, asking = %s, asked = %s, deferred = %s, status = %s, "
            + "updated_at = %s WHERE id = %s AND owner = %s",
            [deal.company, name_key(deal.company), *facts, _json(deal.unknown)]
            + [deal.asking, deal.asked, _json(deal.deferred), deal.status, now]
            + [deal.id, deal.owner],
        )

    def _write_stakeholders(self, deal: Deal, before: Dict[int | None, Tuple[Any, ...]]) -> None:
        """Write the buying centre as rows that changed, not all rows again: a message
        about Jan touches Jan's row only, and each person keeps their row id."""
        deal_id = int(deal.id or 0)
        kept = {person.id for person in deal.stakeholders if person.id in before}
        # Removed people first: a new person may take a removed one's name.
        for gone in before.keys() - kept:
            self._db.execute(
                "DELETE FROM stakeholders WHERE id = %s AND deal_id = %s", [gone, deal_id]
            )
        for position, person in enumerate(deal.stakeholders):
            values = _stakeholder_values(deal_id, position, person)
            if person.id in before:
                if values != before[person.id]:
                    self._db.execute(
                        "UPDATE stakeholders SET "
                        + ", ".join(f"{column} = %s" for column in _STAKEHOLDER_COLUMNS)
                        + " WHERE id = %s AND deal_id = %s",
                        [*_adapted(values), person.id, deal_id],
                    )
            else:
                (row,) = self._db.rows(
                    f"INSERT INTO stakeholders ({', '.join(_STAKEHOLDER_COLUMNS)}) "
                    f"VALUES ({', '.join('%s' for _ in _STAKEHOLDER_COLUMNS)}) RETURNING id",
                    _adapted(values),
                )
                person.id = row["id"]

    def rename(self, owner: str, deal_id: int, company: str) -> Deal:
        company = " ".join(company.split())
        if not name_key(company):
            raise ValueError("a deal needs a client name")
        try:
            # The savepoint: inside a unit of work, a clash found by the unique index
            # undoes the rename alone and the coach's transaction goes on.
            with self._db.transaction(), self._db.savepoint():
                self._db.lock_deal(owner, deal_id)
                clash = self.get(owner, company)
                if clash is not None and clash.id != deal_id:
                    raise NameClash(clash.company)
                return self.apply(owner, deal_id, [Change("company", value=company)])
        except psycopg2.errors.UniqueViolation as error:
            # Another replica opened a deal by this name after our check: still a clash.
            if error.diag.constraint_name != "deals_owner_company":
                raise
            raise NameClash(company) from error

    def delete(self, owner: str, deal_id: int) -> None:
        with self._db.transaction():
            self._db.lock_deal(owner, deal_id)
            for table in ("stakeholders", "reviews", "advice_log", "fact_log"):
                self._db.execute(f"DELETE FROM {table} WHERE deal_id = %s", [deal_id])
            self._db.execute(
                "UPDATE salespeople SET active_deal_id = NULL WHERE owner = %s AND "
                "active_deal_id = %s",
                [owner, deal_id],
            )
            self._db.execute("DELETE FROM deals WHERE id = %s AND owner = %s", [deal_id, owner])


class PostgresHistory:
    """``HistoryRepository`` on the ``reviews``, ``advice_log`` and ``fact_log`` tables."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    def start_review(self, owner: str, deal_id: int) -> int:
        with self._db.transaction():
            self._db.lock_deal(owner, deal_id)
            (row,) = self._db.rows(
                "INSERT INTO reviews (deal_id, started_at) VALUES (%s, %s) RETURNING id",
                [deal_id, _now()],
            )
            return int(row["id"])

    def end_review(self, owner: str, deal_id: int, outcome: str) -> None:
        with self._db.transaction():
            self._db.lock_deal(owner, deal_id)
            self._db.execute(
                "UPDATE reviews SET ended_at = %s, outcome = %s WHERE id = ("
                "SELECT MAX(id) FROM reviews WHERE deal_id = %s AND ended_at IS NULL)",
                [_now(), outcome, deal_id],
            )

    def log_advice(self, owner: str, deal_id: int, rule_ids: Sequence[str]) -> None:
        with self._db.transaction():
            self._db.lock_deal(owner, deal_id)
            (latest,) = self._db.rows(
                "SELECT MAX(id) AS id FROM reviews WHERE deal_id = %s", [deal_id]
            )
            now = _now()
            for rank, rule_id in enumerate(rule_ids, start=1):
                self._db.execute(
                    "INSERT INTO advice_log (deal_id, review_id, rule_id, rank, given_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    [deal_id, latest["id"], rule_id, rank, now],
                )

    def reviews(self, owner: str, deal_id: int) -> List[Review]:
        with self._db.transaction(write=False):
            self._db.require(owner, deal_id)
            rows = self._db.rows(
                "SELECT id, deal_id, started_at, ended_at, outcome FROM reviews "
                "WHERE deal_id = %s ORDER BY id",
                [deal_id],
            )
        return [
            Review(
                id=row["id"],
                deal_id=row["deal_id"],
                started_at=_time(row["started_at"]),  # type: ignore[arg-type]
                ended_at=_time(row["ended_at"]),
                outcome=row["outcome"],
            )
            for row in rows
        ]

    def advice(self, owner: str, deal_id: int) -> List[AdviceGiven]:
        with self._db.transaction(write=False):
            self._db.require(owner, deal_id)
            rows = self._db.rows(
                "SELECT rule_id, rank, given_at, review_id FROM advice_log "
                "WHERE deal_id = %s ORDER BY id",
                [deal_id],
            )
        return [AdviceGiven(**{**row, "given_at": _time(row["given_at"])}) for row in rows]

    def fact_changes(self, owner: str, deal_id: int) -> List[FactChange]:
        with self._db.transaction(write=False):
            self._db.require(owner, deal_id)
            rows = self._db.rows(
                "SELECT field AS fact, old, new, changed_at FROM fact_log WHERE deal_id = %s "
                "ORDER BY id",
                [deal_id],
            )
        return [FactChange(**{**row, "changed_at": _time(row["changed_at"])}) for row in rows]


class PostgresSessions:
    """``SessionRepository`` on the ``salespeople`` table."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    def active_deal_id(self, owner: str) -> int | None:
        # Joined with deals so that only a deal of the owner's own ever comes back.
        rows = self._db.rows(
            "SELECT d.id FROM salespeople s JOIN deals d "
            "ON d.id = s.active_deal_id AND d.owner = s.owner WHERE s.owner = %s",
            [owner],
        )
        return rows[0]["id"] if rows else None

    def set_active(self, owner: str, deal_id: int | None) -> None:
        with self._db.transaction():
            if deal_id is not None:
                # FOR SHARE: a deletion of the deal waits for this transaction (and then
                # clears the pointer), or has committed and the deal is unknown here.
                if not self._db.rows(
                    "SELECT 1 FROM deals WHERE id = %s AND owner = %s FOR SHARE", [deal_id, owner]
                ):
                    raise UnknownDeal(f"no deal {deal_id} for this owner")
            self._db.execute(
                "INSERT INTO salespeople (owner, active_deal_id, updated_at) "
                "VALUES (%s, %s, %s) ON CONFLICT (owner) DO UPDATE SET "
                "active_deal_id = excluded.active_deal_id, updated_at = excluded.updated_at",
                [owner, deal_id, _now()],
            )

    def language(self, owner: str) -> LanguageSetting | None:
        rows = self._db.rows(
            "SELECT language, language_chosen FROM salespeople "
            "WHERE owner = %s AND language IS NOT NULL",
            [owner],
        )
        if not rows:
            return None
        return LanguageSetting(rows[0]["language"], bool(rows[0]["language_chosen"]))

    def set_language(self, owner: str, language: str, chosen: bool) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO salespeople (owner, language, language_chosen, updated_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (owner) DO UPDATE SET "
                "language = excluded.language, language_chosen = excluded.language_chosen, "
                "updated_at = excluded.updated_at",
                [owner, language, chosen, _now()],
            )


def _quiz_run(row: Dict[str, Any]) -> QuizRun:
    return QuizRun(
        id=row["id"],
        topic=row["topic"],
        question_ids=tuple(row["question_ids"]),
        position=row["position"] or 0,
        score=row["score"] or 0,
        started_at=_time(row["started_at"]),  # type: ignore[arg-type]
        finished_at=_time(row["finished_at"]),
    )


class PostgresQuizzes:
    """``QuizRepository`` on the ``quiz_runs`` and ``quiz_answers`` tables."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    def _lock_owner(self, owner: str) -> None:
        """Serialise this owner's quiz writes across replicas until the transaction ends."""
        self._db.rows("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [QUIZ_LOCK, owner])

    def start(self, owner: str, topic: str | None, question_ids: Sequence[str]) -> QuizRun:
        with self._db.transaction():
            self._lock_owner(owner)
            self._db.execute(
                "DELETE FROM quiz_runs r WHERE owner = %s AND finished_at IS NULL AND NOT "
                "EXISTS (SELECT 1 FROM quiz_answers a WHERE a.run_id = r.id)",
                [owner],
            )
            self._db.execute(
                "UPDATE quiz_runs SET finished_at = %s WHERE owner = %s AND finished_at IS NULL",
                [_now(), owner],
            )
            (row,) = self._db.rows(
                "INSERT INTO quiz_runs (owner, topic, question_ids, position, score, "
                "started_at) VALUES (%s, %s, %s, 0, 0, %s) RETURNING *",
                [owner, topic, _json(list(question_ids)), _now()],
            )
        return _quiz_run(row)

    def current(self, owner: str) -> QuizRun | None:
        rows = self._db.rows(
            "SELECT * FROM quiz_runs WHERE owner = %s AND finished_at IS NULL "
            "ORDER BY id DESC LIMIT 1",
            [owner],
        )
        return _quiz_run(rows[0]) if rows else None

    def record_answer(
        self, owner: str, run_id: int, question_id: str, topic: str, correct: bool
    ) -> QuizRun:
        with self._db.transaction():
            self._lock_owner(owner)
            run = self.current(owner)
            if run is None or run.id != run_id:
                raise UnknownQuiz("no such quiz running for this owner")
            now = _now()
            self._db.execute(
                "INSERT INTO quiz_answers (run_id, question_id, topic, correct, answered_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                [run_id, question_id, topic, bool(correct), now],
            )
            position = run.position + 1
            done = position >= len(run.question_ids)
            (row,) = self._db.rows(
                "UPDATE quiz_runs SET position = %s, score = score + %s, finished_at = %s "
                "WHERE id = %s AND owner = %s RETURNING *",
                [position, int(correct), now if done else None, run_id, owner],
            )
        return _quiz_run(row)

    def stop(self, owner: str) -> None:
        with self._db.transaction():
            self._lock_owner(owner)
            self._db.execute(
                "UPDATE quiz_runs SET finished_at = %s WHERE owner = %s AND finished_at IS NULL",
                [_now(), owner],
            )

    def history(self, owner: str) -> List[QuizResult]:
        rows = self._db.rows(
            "SELECT r.id, r.topic, r.score, COUNT(a.id) AS answered, r.finished_at "
            "FROM quiz_runs r JOIN quiz_answers a ON a.run_id = r.id "
            "WHERE r.owner = %s AND r.finished_at IS NOT NULL GROUP BY r.id ORDER BY r.id",
            [owner],
        )
        return [
            QuizResult(
                id=row["id"],
                topic=row["topic"],
                score=row["score"],
                answered=int(row["answered"]),
                finished_at=_time(row["finished_at"]),  # type: ignore[arg-type]
            )
            for row in rows
        ]

    def answers(self, owner: str) -> List[QuizAnswer]:
        rows = self._db.rows(
            "SELECT a.topic, a.correct FROM quiz_answers a JOIN quiz_runs r "
            "ON a.run_id = r.id WHERE r.owner = %s ORDER BY a.id",
            [owner],
        )
        return [QuizAnswer(topic=row["topic"], correct=bool(row["correct"])) for row in rows]


class PostgresStore(Store):
    """The four repositories on one PostgreSQL database, through a bounded pool."""

    def __init__(self, url: str, pool_size: int | None = None) -> None:
        self.database = PostgresDatabase(url, pool_size)
        self.location = self.database.location
        super().__init__(
            deals=PostgresDeals(self.database),
            history=PostgresHistory(self.database),
            sessions=PostgresSessions(self.database),
            quizzes=PostgresQuizzes(self.database),
        )

    def transaction(self) -> ContextManager[None]:
        """One connection of the pool held for the block, one write transaction on it:
        every repository call inside runs there (see the module's docstring)."""
        return self.database.transaction(write=True)

    def close(self) -> None:
        self.database.close()
