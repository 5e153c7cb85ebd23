"""The deal store: every salesperson's deals in SQLite, through sqlite-utils.

Schema (created on first use; ``owner`` is the channel's sender id)::

    deals         one row per (owner, client): the deal's facts and review state
                  id, owner, company, company_key, sector, employees, company_size,
                  purchase_situation, supplier_position, buying_stage, perceived_risk,
                  unknown (JSON list), asking, status, created_at, updated_at
    stakeholders  the buying centre: deal_id, name, name_key, title, roles (JSON list),
                  assumed_roles (JSON list: the roles held only by the title's
                  default), stance, met (1/0/NULL), named, position
    reviews       one row per review session: deal_id, started_at, ended_at, outcome
    advice_log    every piece of advice given: deal_id, review_id, rule_id, rank, given_at
    fact_log      every fact change: deal_id, field, old, new, changed_at
    salespeople   owner, active_deal_id: the deal each salesperson is working on
    quiz_runs     one row per quiz: owner, topic, question_ids (JSON), position, score
    quiz_answers  every quiz answer: run_id, question_id, topic, correct, answered_at

Every method takes the owner and only ever touches that owner's rows: one
salesperson can neither read nor change another's deals. Writes happen in
``BEGIN IMMEDIATE`` transactions on a WAL database, so concurrent writers queue
instead of overwriting each other, and a crash leaves the old or the new state.

``DealStore`` is the interface the actions use; ``SQLiteDealStore`` implements it.
A server database can be added as another implementation without touching them.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Protocol, Sequence

import sqlite_utils

from dealcoach.deal import DEAL_FACTS, Change, Deal, Stakeholder, apply_change, name_key

#: Default database path, relative to the project root (git-ignored).
DEFAULT_DB = Path(__file__).resolve().parent.parent / "var" / "dealcoach.db"


def database_path() -> Path:
    """``DEALCOACH_DB`` if set, else ``var/dealcoach.db`` in the project."""
    return Path(os.environ.get("DEALCOACH_DB") or DEFAULT_DB)


def owner_id(channel: str, sender_id: str) -> str:
    """Who owns a deal: the chat channel and the sender id it gives ("slack:T1:U2")."""
    return f"{channel}:{sender_id}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class DealStore(Protocol):
    """What the actions need from a deal store."""

    def get_deal(self, owner: str, company: str) -> Deal | None: ...

    def get_deal_by_id(self, owner: str, deal_id: int) -> Deal | None: ...

    def list_deals(self, owner: str | None = None) -> List[Deal]: ...

    def open_deal(self, owner: str, company: str) -> tuple[Deal, bool]: ...

    def apply(self, owner: str, deal_id: int, changes: Sequence[Change]) -> Deal: ...

    def active_deal(self, owner: str) -> Deal | None: ...

    def set_active(self, owner: str, deal_id: int | None) -> None: ...

    def start_review(self, owner: str, deal_id: int) -> int: ...

    def end_review(self, owner: str, deal_id: int, outcome: str) -> None: ...

    def log_advice(self, owner: str, deal_id: int, rule_ids: Sequence[str]) -> None: ...


class SQLiteDealStore:
    """``DealStore`` on a SQLite file (WAL mode, owner-only file permissions)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else database_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Deal data is commercially sensitive: readable by its owner only.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.enable_wal()
        self._create_schema()

    def close(self) -> None:
        self.db.conn.close()

    @staticmethod
    def exists(path: Path | str) -> bool:
        """Whether a deal database is at ``path`` (without creating one)."""
        return Path(path).is_file()

    # --- schema ---------------------------------------------------------------------

    def _create_schema(self) -> None:
        with self._transaction():
            self.db["deals"].create(
                {
                    "id": int,
                    "owner": str,
                    "company": str,
                    "company_key": str,
                    "sector": str,
                    "employees": int,
                    "company_size": str,
                    "purchase_situation": str,
                    "supplier_position": str,
                    "buying_stage": str,
                    "perceived_risk": str,
                    "unknown": str,
                    "asking": str,
                    "asked": int,
                    "deferred": str,
                    "status": str,
                    "created_at": str,
                    "updated_at": str,
                },
                pk="id",
                not_null={"owner", "company", "company_key", "status"},
                if_not_exists=True,
            )
            self.db["stakeholders"].create(
                {
                    "id": int,
                    "deal_id": int,
                    "position": int,
                    "name": str,
                    "name_key": str,
                    "title": str,
                    "roles": str,
                    "assumed_roles": str,
                    "stance": str,
                    "met": int,
                    "named": int,
                },
                pk="id",
                foreign_keys=[("deal_id", "deals", "id")],
                not_null={"deal_id", "name", "name_key"},
                if_not_exists=True,
            )
            self.db["reviews"].create(
                {"id": int, "deal_id": int, "started_at": str, "ended_at": str, "outcome": str},
                pk="id",
                foreign_keys=[("deal_id", "deals", "id")],
                if_not_exists=True,
            )
            self.db["advice_log"].create(
                {
                    "id": int,
                    "deal_id": int,
                    "review_id": int,
                    "rule_id": str,
                    "rank": int,
                    "given_at": str,
                },
                pk="id",
                foreign_keys=[("deal_id", "deals", "id")],
                if_not_exists=True,
            )
            self.db["fact_log"].create(
                {
                    "id": int,
                    "deal_id": int,
                    "field": str,
                    "old": str,
                    "new": str,
                    "changed_at": str,
                },
                pk="id",
                foreign_keys=[("deal_id", "deals", "id")],
                if_not_exists=True,
            )
            self.db["salespeople"].create(
                {"owner": str, "active_deal_id": int, "updated_at": str},
                pk="owner",
                if_not_exists=True,
            )
            self.db["quiz_runs"].create(
                {
                    "id": int,
                    "owner": str,
                    "topic": str,
                    "question_ids": str,
                    "position": int,
                    "score": int,
                    "started_at": str,
                    "finished_at": str,
                },
                pk="id",
                not_null={"owner", "question_ids"},
                if_not_exists=True,
            )
            self.db["quiz_answers"].create(
                {
                    "id": int,
                    "run_id": int,
                    "question_id": str,
                    "topic": str,
                    "correct": int,
                    "answered_at": str,
                },
                pk="id",
                foreign_keys=[("run_id", "quiz_runs", "id")],
                if_not_exists=True,
            )
            # Columns added since the first release: a deal database made before them
            # gets them here, empty (issue 14 brings a schema version and migrations).
            columns = self.db["deals"].columns_dict
            for column, kind in (("asked", int), ("deferred", str)):
                if column not in columns:
                    self.db["deals"].add_column(column, kind)
            if "assumed_roles" not in self.db["stakeholders"].columns_dict:
                self.db["stakeholders"].add_column("assumed_roles", str)
            self.db.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS deals_owner_company "
                "ON deals (owner, company_key)"
            )
            self.db.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS stakeholders_deal_name "
                "ON stakeholders (deal_id, name_key)"
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front: concurrent writers wait (busy_timeout)
        # rather than failing half-way or losing each other's updates.
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- reading ----------------------------------------------------------------------

    def get_deal(self, owner: str, company: str) -> Deal | None:
        rows = list(
            self.db.query(
                "SELECT * FROM deals WHERE owner = ? AND company_key = ?",
                [owner, name_key(company)],
            )
        )
        return self._deal_from_row(rows[0]) if rows else None

    def get_deal_by_id(self, owner: str, deal_id: int) -> Deal | None:
        rows = list(
            self.db.query("SELECT * FROM deals WHERE owner = ? AND id = ?", [owner, deal_id])
        )
        return self._deal_from_row(rows[0]) if rows else None

    def list_deals(self, owner: str | None = None) -> List[Deal]:
        """One owner's deals, most recently updated first; every deal when owner is None."""
        if owner is None:
            rows = self.db.query("SELECT * FROM deals ORDER BY owner, company_key")
        else:
            rows = self.db.query(
                "SELECT * FROM deals WHERE owner = ? ORDER BY updated_at DESC, id DESC", [owner]
            )
        return [self._deal_from_row(row) for row in rows]

    def _deal_from_row(self, row: Dict[str, Any]) -> Deal:
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
        for srow in self.db.query(
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
                )
            )
        return deal

    # --- writing ----------------------------------------------------------------------

    def open_deal(self, owner: str, company: str) -> tuple[Deal, bool]:
        """The owner's deal with this client, created if new; True when it was created."""
        company = " ".join(company.split())
        if not name_key(company):
            raise ValueError("a deal needs a client name")
        with self._transaction():
            existing = self.get_deal(owner, company)
            if existing:
                return existing, False
            now = _now()
            self.db.execute(
                "INSERT INTO deals (owner, company, company_key, unknown, status, created_at, "
                "updated_at) VALUES (?, ?, ?, '[]', 'open', ?, ?)",
                [owner, company, name_key(company), now, now],
            )
        deal = self.get_deal(owner, company)
        assert deal is not None
        return deal, True

    def apply(self, owner: str, deal_id: int, changes: Sequence[Change]) -> Deal:
        """Apply changes to the current state of the owner's deal, atomically."""
        with self._transaction():
            deal = self.get_deal_by_id(owner, deal_id)
            if deal is None:
                raise KeyError(f"no deal {deal_id} for this owner")
            before = {name: getattr(deal, name) for name in DEAL_FACTS}
            for change in changes:
                apply_change(deal, change)
            now = _now()
            self._write(deal, now)
            for name in DEAL_FACTS:
                if getattr(deal, name) != before[name]:
                    self.db.execute(
                        "INSERT INTO fact_log (deal_id, field, old, new, changed_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [deal_id, name, _text(before[name]), _text(getattr(deal, name)), now],
                    )
        deal.updated_at = now
        return deal

    def _write(self, deal: Deal, now: str) -> None:
        facts = [getattr(deal, name) for name in DEAL_FACTS]
        self.db.execute(
            "UPDATE deals SET company = ?, company_key = ?, "
            + ", ".join(f"{name} = ?" for name in DEAL_FACTS)
            + ", unknown = ?, asking = ?, asked = ?, deferred = ?, status = ?, updated_at = ?"
            + " WHERE id = ? AND owner = ?",
            [deal.company, name_key(deal.company), *facts, json.dumps(deal.unknown)]
            + [deal.asking, deal.asked, json.dumps(deal.deferred), deal.status, now]
            + [deal.id, deal.owner],
        )
        self.db.execute("DELETE FROM stakeholders WHERE deal_id = ?", [deal.id])
        for position, person in enumerate(deal.stakeholders):
            self.db.execute(
                "INSERT INTO stakeholders (deal_id, position, name, name_key, title, roles, "
                "assumed_roles, stance, met, named) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    deal.id,
                    position,
                    person.name,
                    person.key,
                    person.title,
                    json.dumps(person.roles),
                    json.dumps(person.assumed),
                    person.stance,
                    None if person.met is None else int(person.met),
                    int(person.named),
                ],
            )

    def rename_deal(self, owner: str, deal_id: int, company: str) -> Deal:
        """Give a deal a new client name; refused if the owner has a deal by that name."""
        company = " ".join(company.split())
        clash = self.get_deal(owner, company)
        if clash is not None and clash.id != deal_id:
            raise ValueError(f"you already have a deal called {clash.company}")
        return self.apply(owner, deal_id, [Change("company", value=company)])

    def delete_deal(self, owner: str, deal_id: int) -> None:
        """Remove a deal and everything recorded about it."""
        with self._transaction():
            self._require(owner, deal_id)
            for table in ("stakeholders", "reviews", "advice_log", "fact_log"):
                self.db.execute(f"DELETE FROM {table} WHERE deal_id = ?", [deal_id])
            self.db.execute(
                "UPDATE salespeople SET active_deal_id = NULL WHERE owner = ? AND "
                "active_deal_id = ?",
                [owner, deal_id],
            )
            self.db.execute("DELETE FROM deals WHERE id = ? AND owner = ?", [deal_id, owner])

    # --- quizzes ------------------------------------------------------------------------

    def start_quiz(self, owner: str, topic: str | None, question_ids: Sequence[str]) -> int:
        """Begin a quiz (abandoning an unfinished one); its id."""
        with self._transaction():
            self.db.execute(
                "DELETE FROM quiz_runs WHERE owner = ? AND finished_at IS NULL AND id NOT IN "
                "(SELECT run_id FROM quiz_answers)",
                [owner],
            )
            self.db.execute(
                "UPDATE quiz_runs SET finished_at = ? WHERE owner = ? AND finished_at IS NULL",
                [_now(), owner],
            )
            cursor = self.db.execute(
                "INSERT INTO quiz_runs (owner, topic, question_ids, position, score, started_at) "
                "VALUES (?, ?, ?, 0, 0, ?)",
                [owner, topic, json.dumps(list(question_ids)), _now()],
            )
            return int(cursor.lastrowid or 0)

    def current_quiz(self, owner: str) -> Dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT * FROM quiz_runs WHERE owner = ? AND finished_at IS NULL "
                "ORDER BY id DESC LIMIT 1",
                [owner],
            )
        )
        if not rows:
            return None
        run = dict(rows[0])
        run["question_ids"] = json.loads(run["question_ids"])
        return run

    def record_answer(
        self, owner: str, run_id: int, question_id: str, topic: str, correct: bool
    ) -> Dict[str, Any]:
        """Store one answer and move the quiz on; the run as it is now."""
        with self._transaction():
            run = self.current_quiz(owner)
            if run is None or run["id"] != run_id:
                raise KeyError("no such quiz running for this owner")
            now = _now()
            self.db.execute(
                "INSERT INTO quiz_answers (run_id, question_id, topic, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [run_id, question_id, topic, int(correct), now],
            )
            position = run["position"] + 1
            done = position >= len(run["question_ids"])
            self.db.execute(
                "UPDATE quiz_runs SET position = ?, score = score + ?, finished_at = ? "
                "WHERE id = ?",
                [position, int(correct), now if done else None, run_id],
            )
        run.update(position=position, score=run["score"] + int(correct))
        run["finished_at"] = now if done else None
        return run

    def stop_quiz(self, owner: str) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE quiz_runs SET finished_at = ? WHERE owner = ? AND finished_at IS NULL",
                [_now(), owner],
            )

    def quiz_history(self, owner: str) -> List[Dict[str, Any]]:
        """Finished quizzes, oldest first: topic, score, questions answered, when."""
        return list(
            self.db.query(
                "SELECT r.id, r.topic, r.score, COUNT(a.id) AS answered, r.finished_at "
                "FROM quiz_runs r JOIN quiz_answers a ON a.run_id = r.id "
                "WHERE r.owner = ? AND r.finished_at IS NOT NULL GROUP BY r.id ORDER BY r.id",
                [owner],
            )
        )

    def quiz_answers(self, owner: str) -> List[Dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT a.topic, a.correct FROM quiz_answers a JOIN quiz_runs r "
                "ON a.run_id = r.id WHERE r.owner = ? ORDER BY a.id",
                [owner],
            )
        )

    # --- sessions, history ------------------------------------------------------------

    def active_deal(self, owner: str) -> Deal | None:
        rows = list(
            self.db.query("SELECT active_deal_id FROM salespeople WHERE owner = ?", [owner])
        )
        if not rows or rows[0]["active_deal_id"] is None:
            return None
        return self.get_deal_by_id(owner, rows[0]["active_deal_id"])

    def set_active(self, owner: str, deal_id: int | None) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT INTO salespeople (owner, active_deal_id, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(owner) DO UPDATE SET active_deal_id = excluded.active_deal_id, "
                "updated_at = excluded.updated_at",
                [owner, deal_id, _now()],
            )

    def start_review(self, owner: str, deal_id: int) -> int:
        with self._transaction():
            self._require(owner, deal_id)
            cursor = self.db.execute(
                "INSERT INTO reviews (deal_id, started_at) VALUES (?, ?)", [deal_id, _now()]
            )
            return int(cursor.lastrowid or 0)

    def end_review(self, owner: str, deal_id: int, outcome: str) -> None:
        with self._transaction():
            self._require(owner, deal_id)
            self.db.execute(
                "UPDATE reviews SET ended_at = ?, outcome = ? WHERE id = ("
                "SELECT MAX(id) FROM reviews WHERE deal_id = ? AND ended_at IS NULL)",
                [_now(), outcome, deal_id],
            )

    def log_advice(self, owner: str, deal_id: int, rule_ids: Sequence[str]) -> None:
        with self._transaction():
            self._require(owner, deal_id)
            review = list(
                self.db.query("SELECT MAX(id) AS id FROM reviews WHERE deal_id = ?", [deal_id])
            )[0]["id"]
            now = _now()
            for rank, rule_id in enumerate(rule_ids, start=1):
                self.db.execute(
                    "INSERT INTO advice_log (deal_id, review_id, rule_id, rank, given_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [deal_id, review, rule_id, rank, now],
                )

    def advice_history(self, owner: str, deal_id: int) -> List[Dict[str, Any]]:
        self._require(owner, deal_id)
        return list(
            self.db.query(
                "SELECT rule_id, rank, given_at FROM advice_log WHERE deal_id = ? ORDER BY id",
                [deal_id],
            )
        )

    def reviews(self, owner: str, deal_id: int) -> List[Dict[str, Any]]:
        self._require(owner, deal_id)
        return list(self.db.query("SELECT * FROM reviews WHERE deal_id = ? ORDER BY id", [deal_id]))

    def _require(self, owner: str, deal_id: int) -> None:
        found = list(
            self.db.query("SELECT 1 FROM deals WHERE id = ? AND owner = ?", [deal_id, owner])
        )
        if not found:
            raise KeyError(f"no deal {deal_id} for this owner")


def _text(value: object) -> str | None:
    return None if value is None else str(value)
