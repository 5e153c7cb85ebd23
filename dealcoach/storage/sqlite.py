"""The repositories on one embedded SQLite file, through sqlite-utils.

One connection per process, shared by the four repositories, so that a deal's
deletion and its history's go in one transaction. Writes happen in ``BEGIN
IMMEDIATE`` transactions on a WAL database: concurrent writers (several action
server processes, the CLI) queue for the lock instead of overwriting each other,
and a crash leaves the old or the new state. The tables and their migrations are
in ``schema.py``.

Owner scoping is in the SQL: every statement that reads or writes a deal's rows
names the owner, or first checks that the deal is the owner's (``_require``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ContextManager, Dict, Iterator, List, Sequence, Tuple

import sqlite_utils

from dealcoach.deals.deal import DEAL_FACTS, Change, Deal, Stakeholder, apply_change, name_key
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
from dealcoach.storage.schema import migrate

#: Default database path, relative to the project root (git-ignored).
DEFAULT_DB = Path(__file__).resolve().parent.parent.parent / "var" / "dealcoach.db"


def database_path() -> Path:
    """``DEALCOACH_DB`` if set, else ``var/dealcoach.db`` in the project."""
    return Path(os.environ.get("DEALCOACH_DB") or DEFAULT_DB)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class SQLiteDatabase:
    """The shared connection: opened private, in WAL mode, migrated, with transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Deal data is commercially sensitive: readable by its owner only.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        # Autocommit mode (isolation_level=None): the only transactions are ours, so
        # no statement ever runs in one Python opened behind our back.
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.enable_wal()
        self._depth = 0
        try:
            migrate(self.db, path)
        except BaseException:
            conn.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; nested uses join the outer one (rename applies a
        change inside the transaction that checked the new name)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        # IMMEDIATE takes the write lock up front: concurrent writers wait (busy_timeout)
        # rather than failing half-way or losing each other's updates.
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            # SQLite may have rolled back already (a full disk does): don't hide why.
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        self.db.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> List[Dict[str, Any]]:
        return list(self.db.query(sql, list(params)))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, list(params))

    def require(self, owner: str, deal_id: int) -> None:
        """``UnknownDeal`` unless the owner has this deal."""
        if not self.rows("SELECT 1 FROM deals WHERE id = ? AND owner = ?", [deal_id, owner]):
            raise UnknownDeal(f"no deal {deal_id} for this owner")

    def close(self) -> None:
        self.db.conn.close()


def _stakeholder_values(deal_id: int, position: int, person: Stakeholder) -> Tuple[Any, ...]:
    """A stakeholder's row, in the column order of ``_STAKEHOLDER_COLUMNS``."""
    return (
        deal_id,
        position,
        person.name,
        person.key,
        person.title,
        json.dumps(person.roles),
        json.dumps(person.assumed),
        person.stance,
        None if person.met is None else int(person.met),
        int(person.named),
    )


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


class SQLiteDeals:
    """``DealRepository`` on the ``deals`` and ``stakeholders`` tables."""

    def __init__(self, database: SQLiteDatabase) -> None:
        self._db = database

    def get(self, owner: str, company: str) -> Deal | None:
        rows = self._db.rows(
            "SELECT * FROM deals WHERE owner = ? AND company_key = ?", [owner, name_key(company)]
        )
        return self._deal(rows[0]) if rows else None

    def get_by_id(self, owner: str, deal_id: int) -> Deal | None:
        rows = self._db.rows("SELECT * FROM deals WHERE owner = ? AND id = ?", [owner, deal_id])
        return self._deal(rows[0]) if rows else None

    def list_for(self, owner: str) -> List[Deal]:
        rows = self._db.rows(
            "SELECT * FROM deals WHERE owner = ? ORDER BY updated_at DESC, id DESC", [owner]
        )
        return [self._deal(row) for row in rows]

    def owners(self) -> List[str]:
        return [
            row["owner"] for row in self._db.rows("SELECT DISTINCT owner FROM deals ORDER BY 1")
        ]

    def _deal(self, row: Dict[str, Any]) -> Deal:
        deal = Deal(
            owner=row["owner"],
            company=row["company"],
            id=row["id"],
            unknown=json.loads(row["unknown"] or "[]"),
            asking=row["asking"],
            asked=row["asked"] or 0,
            deferred=json.loads(row["deferred"] or "[]"),
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
        for name in DEAL_FACTS:
            setattr(deal, name, row[name])
        for srow in self._db.rows(
            "SELECT * FROM stakeholders WHERE deal_id = ? ORDER BY position, id", [row["id"]]
        ):
            deal.stakeholders.append(
                Stakeholder(
                    name=srow["name"],
                    title=srow["title"],
                    roles=json.loads(srow["roles"] or "[]"),
                    stance=srow["stance"] or "unknown",
                    met=None if srow["met"] is None else bool(srow["met"]),
                    named=bool(srow["named"]),
                    assumed=json.loads(srow["assumed_roles"] or "[]"),
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
            self._db.execute(
                "INSERT INTO deals (owner, company, company_key, unknown, status, created_at, "
                "updated_at) VALUES (?, ?, ?, '[]', 'open', ?, ?)",
                [owner, company, name_key(company), now, now],
            )
            deal = self.get(owner, company)
        assert deal is not None
        return deal, True

    def apply(self, owner: str, deal_id: int, changes: Sequence[Change]) -> Deal:
        with self._db.transaction():
            deal = self.get_by_id(owner, deal_id)
            if deal is None:
                raise UnknownDeal(f"no deal {deal_id} for this owner")
            return self.apply_to(owner, deal, changes)

    def apply_to(self, owner: str, deal: Deal, changes: Sequence[Change]) -> Deal:
        deal_id = int(deal.id or 0)
        with self._db.transaction():
            facts_before = {name: getattr(deal, name) for name in DEAL_FACTS}
            people_before = {
                person.id: _stakeholder_values(deal_id, position, person)
                for position, person in enumerate(deal.stakeholders)
            }
            for change in changes:
                apply_change(deal, change)
            now = _now()
            # The owner is part of the row's key: another owner's deal is written as
            # nothing, and refused before its stakeholders are touched.
            if self._write_deal(deal, owner, now) != 1:
                raise UnknownDeal(f"no deal {deal_id} for this owner")
            self._write_stakeholders(deal, people_before)
            for name in DEAL_FACTS:
                if getattr(deal, name) != facts_before[name]:
                    self._db.execute(
                        "INSERT INTO fact_log (deal_id, field, old, new, changed_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [deal_id, name, _text(facts_before[name]), _text(getattr(deal, name)), now],
                    )
        deal.updated_at = now
        return deal

    def _write_deal(self, deal: Deal, owner: str, now: str) -> int:
        """Write the deal's row; the number of rows written (0: not the owner's)."""
        facts = [getattr(deal, name) for name in DEAL_FACTS]
        return self._db.execute(
            "UPDATE deals SET company = ?, company_key = ?, "
            + ", ".join(f"{name} = ?" for name in DEAL_FACTS)
            + ", unknown = ?, asking = ?, asked = ?, deferred = ?, status = ?, updated_at = ?"
            + " WHERE id = ? AND owner = ?",
            [deal.company, name_key(deal.company), *facts, json.dumps(deal.unknown)]
            + [deal.asking, deal.asked, json.dumps(deal.deferred), deal.status, now]
            + [deal.id, owner],
        ).rowcount

    def _write_stakeholders(self, deal: Deal, before: Dict[int | None, Tuple[Any, ...]]) -> None:
        """Write the buying centre as rows that changed, not all rows again: a message
        about Jan touches Jan's row only, and each person keeps their row id."""
        deal_id = int(deal.id or 0)
        kept = {person.id for person in deal.stakeholders if person.id in before}
        # Removed people first: a new person may take a removed one's name.
        for gone in before.keys() - kept:
            self._db.execute(
                "DELETE FROM stakeholders WHERE id = ? AND deal_id = ?", [gone, deal_id]
            )
        for position, person in enumerate(deal.stakeholders):
            values = _stakeholder_values(deal_id, position, person)
            if person.id in before:
                if values != before[person.id]:
                    self._db.execute(
                        "UPDATE stakeholders SET "
                        + ", ".join(f"{column} = ?" for column in _STAKEHOLDER_COLUMNS)
                        + " WHERE id = ? AND deal_id = ?",
                        [*values, person.id, deal_id],
                    )
            else:
                cursor = self._db.execute(
                    f"INSERT INTO stakeholders ({', '.join(_STAKEHOLDER_COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in _STAKEHOLDER_COLUMNS)})",
                    values,
                )
                person.id = cursor.lastrowid

    def rename(self, owner: str, deal_id: int, company: str) -> Deal:
        company = " ".join(company.split())
        if not name_key(company):
            raise ValueError("a deal needs a client name")
        with self._db.transaction():
            self._db.require(owner, deal_id)
            clash = self.get(owner, company)
            if clash is not None and clash.id != deal_id:
                raise NameClash(clash.company)
            return self.apply(owner, deal_id, [Change("company", value=company)])

    def delete(self, owner: str, deal_id: int) -> None:
        with self._db.transaction():
            self._db.require(owner, deal_id)
            for table in ("stakeholders", "reviews", "advice_log", "fact_log"):
                self._db.execute(f"DELETE FROM {table} WHERE deal_id = ?", [deal_id])
            self._db.execute(
                "UPDATE salespeople SET active_deal_id = NULL WHERE owner = ? AND "
                "active_deal_id = ?",
                [owner, deal_id],
            )
            self._db.execute("DELETE FROM deals WHERE id = ? AND owner = ?", [deal_id, owner])


class SQLiteHistory:
    """``HistoryRepository`` on the ``reviews``, ``advice_log`` and ``fact_log`` tables."""

    def __init__(self, database: SQLiteDatabase) -> None:
        self._db = database

    def start_review(self, owner: str, deal_id: int) -> int:
        with self._db.transaction():
            self._db.require(owner, deal_id)
            cursor = self._db.execute(
                "INSERT INTO reviews (deal_id, started_at) VALUES (?, ?)", [deal_id, _now()]
            )
            return int(cursor.lastrowid or 0)

    def end_review(self, owner: str, deal_id: int, outcome: str) -> None:
        with self._db.transaction():
            self._db.require(owner, deal_id)
            self._db.execute(
                "UPDATE reviews SET ended_at = ?, outcome = ? WHERE id = ("
                "SELECT MAX(id) FROM reviews WHERE deal_id = ? AND ended_at IS NULL)",
                [_now(), outcome, deal_id],
            )

    def log_advice(self, owner: str, deal_id: int, rule_ids: Sequence[str]) -> None:
        with self._db.transaction():
            self._db.require(owner, deal_id)
            (latest,) = self._db.rows(
                "SELECT MAX(id) AS id FROM reviews WHERE deal_id = ?", [deal_id]
            )
            now = _now()
            for rank, rule_id in enumerate(rule_ids, start=1):
                self._db.execute(
                    "INSERT INTO advice_log (deal_id, review_id, rule_id, rank, given_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [deal_id, latest["id"], rule_id, rank, now],
                )

    def reviews(self, owner: str, deal_id: int) -> List[Review]:
        self._db.require(owner, deal_id)
        rows = self._db.rows(
            "SELECT id, deal_id, started_at, ended_at, outcome FROM reviews "
            "WHERE deal_id = ? ORDER BY id",
            [deal_id],
        )
        return [Review(**row) for row in rows]

    def advice(self, owner: str, deal_id: int) -> List[AdviceGiven]:
        self._db.require(owner, deal_id)
        rows = self._db.rows(
            "SELECT rule_id, rank, given_at, review_id FROM advice_log "
            "WHERE deal_id = ? ORDER BY id",
            [deal_id],
        )
        return [AdviceGiven(**row) for row in rows]

    def fact_changes(self, owner: str, deal_id: int) -> List[FactChange]:
        self._db.require(owner, deal_id)
        rows = self._db.rows(
            "SELECT field AS fact, old, new, changed_at FROM fact_log WHERE deal_id = ? "
            "ORDER BY id",
            [deal_id],
        )
        return [FactChange(**row) for row in rows]


class SQLiteSessions:
    """``SessionRepository`` on the ``salespeople`` table."""

    def __init__(self, database: SQLiteDatabase) -> None:
        self._db = database

    def active_deal_id(self, owner: str) -> int | None:
        # Joined with deals so that only a deal of the owner's own ever comes back.
        rows = self._db.rows(
            "SELECT d.id FROM salespeople s JOIN deals d "
            "ON d.id = s.active_deal_id AND d.owner = s.owner WHERE s.owner = ?",
            [owner],
        )
        return rows[0]["id"] if rows else None

    def set_active(self, owner: str, deal_id: int | None) -> None:
        with self._db.transaction():
            if deal_id is not None:
                self._db.require(owner, deal_id)
            self._db.execute(
                "INSERT INTO salespeople (owner, active_deal_id, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(owner) DO UPDATE SET active_deal_id = excluded.active_deal_id, "
                "updated_at = excluded.updated_at",
                [owner, deal_id, _now()],
            )

    def language(self, owner: str) -> LanguageSetting | None:
        rows = self._db.rows(
            "SELECT language, language_chosen FROM salespeople "
            "WHERE owner = ? AND language IS NOT NULL",
            [owner],
        )
        if not rows:
            return None
        return LanguageSetting(rows[0]["language"], bool(rows[0]["language_chosen"]))

    def set_language(self, owner: str, language: str, chosen: bool) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO salespeople (owner, language, language_chosen, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(owner) DO UPDATE SET "
                "language = excluded.language, language_chosen = excluded.language_chosen, "
                "updated_at = excluded.updated_at",
                [owner, language, int(chosen), _now()],
            )


def _quiz_run(row: Dict[str, Any]) -> QuizRun:
    return QuizRun(
        id=row["id"],
        topic=row["topic"],
        question_ids=tuple(json.loads(row["question_ids"])),
        position=row["position"] or 0,
        score=row["score"] or 0,
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


class SQLiteQuizzes:
    """``QuizRepository`` on the ``quiz_runs`` and ``quiz_answers`` tables."""

    def __init__(self, database: SQLiteDatabase) -> None:
        self._db = database

    def start(self, owner: str, topic: str | None, question_ids: Sequence[str]) -> QuizRun:
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM quiz_runs WHERE owner = ? AND finished_at IS NULL AND id NOT IN "
                "(SELECT run_id FROM quiz_answers)",
                [owner],
            )
            self._db.execute(
                "UPDATE quiz_runs SET finished_at = ? WHERE owner = ? AND finished_at IS NULL",
                [_now(), owner],
            )
            cursor = self._db.execute(
                "INSERT INTO quiz_runs (owner, topic, question_ids, position, score, started_at) "
                "VALUES (?, ?, ?, 0, 0, ?)",
                [owner, topic, json.dumps(list(question_ids)), _now()],
            )
            (row,) = self._db.rows("SELECT * FROM quiz_runs WHERE id = ?", [cursor.lastrowid])
        return _quiz_run(row)

    def current(self, owner: str) -> QuizRun | None:
        rows = self._db.rows(
            "SELECT * FROM quiz_runs WHERE owner = ? AND finished_at IS NULL "
            "ORDER BY id DESC LIMIT 1",
            [owner],
        )
        return _quiz_run(rows[0]) if rows else None

    def record_answer(
        self, owner: str, run_id: int, question_id: str, topic: str, correct: bool
    ) -> QuizRun:
        with self._db.transaction():
            run = self.current(owner)
            if run is None or run.id != run_id:
                raise UnknownQuiz("no such quiz running for this owner")
            now = _now()
            self._db.execute(
                "INSERT INTO quiz_answers (run_id, question_id, topic, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [run_id, question_id, topic, int(correct), now],
            )
            position = run.position + 1
            done = position >= len(run.question_ids)
            self._db.execute(
                "UPDATE quiz_runs SET position = ?, score = score + ?, finished_at = ? "
                "WHERE id = ? AND owner = ?",
                [position, int(correct), now if done else None, run_id, owner],
            )
            (row,) = self._db.rows("SELECT * FROM quiz_runs WHERE id = ?", [run_id])
        return _quiz_run(row)

    def stop(self, owner: str) -> None:
        with self._db.transaction():
            self._db.execute(
                "UPDATE quiz_runs SET finished_at = ? WHERE owner = ? AND finished_at IS NULL",
                [_now(), owner],
            )

    def history(self, owner: str) -> List[QuizResult]:
        rows = self._db.rows(
            "SELECT r.id, r.topic, r.score, COUNT(a.id) AS answered, r.finished_at "
            "FROM quiz_runs r JOIN quiz_answers a ON a.run_id = r.id "
            "WHERE r.owner = ? AND r.finished_at IS NOT NULL GROUP BY r.id ORDER BY r.id",
            [owner],
        )
        return [QuizResult(**row) for row in rows]

    def answers(self, owner: str) -> List[QuizAnswer]:
        rows = self._db.rows(
            "SELECT a.topic, a.correct FROM quiz_answers a JOIN quiz_runs r "
            "ON a.run_id = r.id WHERE r.owner = ? ORDER BY a.id",
            [owner],
        )
        return [QuizAnswer(topic=row["topic"], correct=bool(row["correct"])) for row in rows]


class SQLiteStore(Store):
    """The four repositories on one SQLite file (WAL mode, owner-only permissions)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else database_path()
        self.database = SQLiteDatabase(self.path)
        self.location = str(self.path)
        super().__init__(
            deals=SQLiteDeals(self.database),
            history=SQLiteHistory(self.database),
            sessions=SQLiteSessions(self.database),
            quizzes=SQLiteQuizzes(self.database),
        )

    def transaction(self) -> ContextManager[None]:
        return self.database.transaction()

    @property
    def db(self) -> sqlite_utils.Database:
        """The sqlite-utils database, for tests and maintenance that read tables directly."""
        return self.database.db

    def close(self) -> None:
        self.database.close()
