"""The SQLite schema, as an ordered list of migrations, and its version in the file.

Tables (``owner`` is the channel's sender id, ``owner_id``)::

    deals         one row per (owner, client): the deal's facts and review state
                  id, owner, company, company_key, sector, employees, company_size,
                  purchase_situation, supplier_position, buying_stage, perceived_risk,
                  unknown (JSON list), asking, asked, deferred (JSON list), status,
                  created_at, updated_at
    stakeholders  the buying centre: id, deal_id, position, name, name_key, title,
                  roles (JSON list), assumed_roles (JSON list: the roles held only by
                  the title's default), stance, met (1/0/NULL), named (1/0)
    reviews       one row per review session: deal_id, started_at, ended_at, outcome
    advice_log    every piece of advice given: deal_id, review_id, rule_id, rank, given_at
    fact_log      every fact change: deal_id, field, old, new, changed_at
    salespeople   owner, active_deal_id: the deal each salesperson is working on;
                  language, language_chosen (1/0): the language they are answered in,
                  and whether they asked for it
    quiz_runs     one row per quiz: owner, topic, question_ids (JSON), position, score,
                  started_at, finished_at
    quiz_answers  every quiz answer: run_id, question_id, topic, correct, answered_at

The file's schema version is SQLite's ``PRAGMA user_version``: the number of
migrations applied. A database written before versions existed (main up to commit
f933c6c, issue 13) has version 0, and so has a new empty file; the first migration
brings either to the schema of that commit. On open, the missing migrations run in
one ``BEGIN IMMEDIATE`` transaction, so two processes opening an old file at once
upgrade it once, and a failed upgrade leaves the file as it was. A file with a
version above ``SCHEMA_VERSION`` was written by a newer dealcoach: it is refused
rather than written with assumptions that may no longer hold.

To change the schema, append a function to ``MIGRATIONS``; never edit one that has
shipped (files in the field have already run it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Tuple

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


class SchemaTooNew(RuntimeError):
    """The database was written by a newer dealcoach than this one."""


# The tables exactly as main wrote them up to f933c6c (sqlite-utils' own DDL), so
# that a new file and an upgraded old one are the same schema.
_TABLES = {
    "deals": """(
   "id" INTEGER PRIMARY KEY,
   "owner" TEXT NOT NULL,
   "company" TEXT NOT NULL,
   "company_key" TEXT NOT NULL,
   "sector" TEXT,
   "employees" INTEGER,
   "company_size" TEXT,
   "purchase_situation" TEXT,
   "supplier_position" TEXT,
   "buying_stage" TEXT,
   "perceived_risk" TEXT,
   "unknown" TEXT,
   "asking" TEXT,
   "asked" INTEGER,
   "deferred" TEXT,
   "status" TEXT NOT NULL,
   "created_at" TEXT,
   "updated_at" TEXT
)""",
    "stakeholders": """(
   "id" INTEGER PRIMARY KEY,
   "deal_id" INTEGER NOT NULL REFERENCES "deals"("id"),
   "position" INTEGER,
   "name" TEXT NOT NULL,
   "name_key" TEXT NOT NULL,
   "title" TEXT,
   "roles" TEXT,
   "assumed_roles" TEXT,
   "stance" TEXT,
   "met" INTEGER,
   "named" INTEGER
)""",
    "reviews": """(
   "id" INTEGER PRIMARY KEY,
   "deal_id" INTEGER REFERENCES "deals"("id"),
   "started_at" TEXT,
   "ended_at" TEXT,
   "outcome" TEXT
)""",
    "advice_log": """(
   "id" INTEGER PRIMARY KEY,
   "deal_id" INTEGER REFERENCES "deals"("id"),
   "review_id" INTEGER,
   "rule_id" TEXT,
   "rank" INTEGER,
   "given_at" TEXT
)""",
    "fact_log": """(
   "id" INTEGER PRIMARY KEY,
   "deal_id" INTEGER REFERENCES "deals"("id"),
   "field" TEXT,
   "old" TEXT,
   "new" TEXT,
   "changed_at" TEXT
)""",
    "salespeople": """(
   "owner" TEXT PRIMARY KEY,
   "active_deal_id" INTEGER,
   "updated_at" TEXT
)""",
    "quiz_runs": """(
   "id" INTEGER PRIMARY KEY,
   "owner" TEXT NOT NULL,
   "topic" TEXT,
   "question_ids" TEXT NOT NULL,
   "position" INTEGER,
   "score" INTEGER,
   "started_at" TEXT,
   "finished_at" TEXT
)""",
    "quiz_answers": """(
   "id" INTEGER PRIMARY KEY,
   "run_id" INTEGER REFERENCES "quiz_runs"("id"),
   "question_id" TEXT,
   "topic" TEXT,
   "correct" INTEGER,
   "answered_at" TEXT
)""",
}

# Columns added to the first release before versions existed; such a file lacks them.
_LATE_COLUMNS = (
    ("deals", "asked", "INTEGER"),
    ("deals", "deferred", "TEXT"),
    ("stakeholders", "assumed_roles", "TEXT"),
)


def _baseline(db: sqlite_utils.Database) -> None:
    """Version 1: the schema of main at f933c6c, from an empty file or any earlier one."""
    for table, columns in _TABLES.items():
        db.execute(f'CREATE TABLE IF NOT EXISTS "{table}" {columns}')
    for table, column, kind in _LATE_COLUMNS:
        present = {row[1] for row in db.execute(f'PRAGMA table_info("{table}")').fetchall()}
        if column not in present:
            db.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind}')
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS deals_owner_company ON deals (owner, company_key)"
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS stakeholders_deal_name "
        "ON stakeholders (deal_id, name_key)"
    )


def _history_indexes(db: sqlite_utils.Database) -> None:
    """Version 2: indexes for reading a deal's history and an owner's quizzes.

    Until now every such read (and a deal's deletion) scanned the whole table; with
    a team's years of reviews that grows with everyone's history, not the deal's."""
    db.execute("CREATE INDEX reviews_deal ON reviews (deal_id)")
    db.execute("CREATE INDEX advice_log_deal ON advice_log (deal_id)")
    db.execute("CREATE INDEX fact_log_deal ON fact_log (deal_id)")
    db.execute("CREATE INDEX quiz_runs_owner ON quiz_runs (owner)")
    db.execute("CREATE INDEX quiz_answers_run ON quiz_answers (run_id)")


def _salesperson_language(db: sqlite_utils.Database) -> None:
    """Version 3: the language each salesperson is answered in (issue 18), and whether
    they asked for it. NULL until known: a salesperson of an older file is answered in
    the language their next clear message is written in."""
    db.execute('ALTER TABLE "salespeople" ADD COLUMN "language" TEXT')
    db.execute('ALTER TABLE "salespeople" ADD COLUMN "language_chosen" INTEGER')


#: Every migration, oldest first; the schema version is how many of them a file has had.
MIGRATIONS: Tuple[Migration, ...] = (_baseline, _history_indexes, _salesperson_language)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, path: Path) -> int:
    """Bring the database to ``SCHEMA_VERSION``; the version it had. ``SchemaTooNew``
    when it is newer than this code. The connection must be in autocommit mode."""
    found = schema_version(db)
    if found == SCHEMA_VERSION:
        return found
    db.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have upgraded it.
        found = schema_version(db)
        if found > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"The deal database {path} has schema version {found}, but this dealcoach "
                f"knows versions up to {SCHEMA_VERSION}: it was written by a newer "
                "dealcoach. Upgrade dealcoach, or point DEALCOACH_DB at another file."
            )
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](db)
            # user_version is part of the transaction: rolled back with a failed step.
            db.execute(f"PRAGMA user_version = {version + 1}")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return found
