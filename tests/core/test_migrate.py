"""`dealcoach migrate`: a team's SQLite deal store copied into PostgreSQL, every row and
every record accounted for. The source is the file main wrote before schema versions
existed (``data/deals_f933c6c.sql``), so the copy also goes through the SQLite upgrade;
the target is a fresh database of the session's throwaway cluster. The installed
console script runs as a user would run it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import psycopg2
import pytest

from dealcoach.deals.deal import Change
from dealcoach.storage import SCHEMA_VERSION, Store, open_store
from tests.services.postgres import postgres_cluster, postgres_url  # noqa: F401

SCRIPT = Path(sys.executable).parent / "dealcoach"
OLD_DUMP = Path(__file__).parent / "data" / "deals_f933c6c.sql"

#: The rows main wrote at f933c6c, table by table (as ``test_store.py`` counts them).
OLD_COUNTS = {
    "deals": 3,
    "stakeholders": 4,
    "reviews": 3,
    "advice_log": 4,
    "fact_log": 7,
    "salespeople": 2,
    "quiz_runs": 2,
    "quiz_answers": 3,
}


@pytest.fixture
def target(request) -> str:
    """A fresh, empty PostgreSQL database."""
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def old_file(tmp_path) -> Path:
    path = tmp_path / "deals.db"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_DUMP.read_text(encoding="utf-8"))
    conn.close()
    return path


def migrate(*args: str, source: Path, url: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEALCOACH_DB": str(source)}
    env.pop("DEALCOACH_DATABASE_URL", None)
    if url is not None:
        env["DEALCOACH_DATABASE_URL"] = url
    return subprocess.run(
        [str(SCRIPT), "migrate", *args], capture_output=True, text=True, env=env, timeout=120
    )


def printed_counts(stdout: str) -> Dict[str, tuple]:
    """The table of counts the command prints: {table: (sqlite, postgresql)}."""
    counts = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            counts[parts[0]] = (int(parts[1]), int(parts[2]))
    return counts


def table_counts(url: str) -> Dict[str, int]:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            counts = {}
            for table in OLD_COUNTS:
                cursor.execute(f"SELECT count(*) FROM {table}")
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        connection.close()


def owners_of(path: Path) -> List[str]:
    """Everyone the SQLite file holds anything for: deals, a session or a quiz."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT owner FROM deals UNION SELECT owner FROM salespeople "
            "UNION SELECT owner FROM quiz_runs ORDER BY 1"
        ).fetchall()
    finally:
        conn.close()
    return [row[0] for row in rows]


def everything(store: Store, owners: List[str]) -> Dict[str, object]:
    """Every record the repositories give for these owners, ids included."""
    seen: Dict[str, object] = {}
    for owner in owners:
        deals = store.deals.list_for(owner)
        seen[f"{owner} deals"] = deals
        seen[f"{owner} stakeholder ids"] = [[p.id for p in d.stakeholders] for d in deals]
        for deal in deals:
            seen[f"{owner} {deal.id} by name"] = store.deals.get(owner, deal.company)
            seen[f"{owner} {deal.id} reviews"] = store.history.reviews(owner, deal.id)
            seen[f"{owner} {deal.id} advice"] = store.history.advice(owner, deal.id)
            seen[f"{owner} {deal.id} facts"] = store.history.fact_changes(owner, deal.id)
        seen[f"{owner} active"] = store.sessions.active_deal_id(owner)
        seen[f"{owner} quiz"] = store.quizzes.current(owner)
        seen[f"{owner} quiz history"] = store.quizzes.history(owner)
        seen[f"{owner} answers"] = store.quizzes.answers(owner)
    seen["owners"] = store.deals.owners()
    return seen


def test_an_old_sqlite_store_is_copied_into_postgresql_record_for_record(old_file, target):
    result = migrate(source=old_file, url=target)
    assert result.returncode == 0, result.stderr
    assert printed_counts(result.stdout) == {t: (n, n) for t, n in OLD_COUNTS.items()}
    assert "every row accounted for: 28 rows in 8 tables" in result.stdout
    assert table_counts(target) == OLD_COUNTS
    # The source was upgraded to today's SQLite schema on the way (and kept every row).
    conn = sqlite3.connect(old_file)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()

    owners = owners_of(old_file)
    assert owners == ["rest:anna", "slack:T1:U2"]
    source, copied = open_store(old_file), open_store(target)
    try:
        before, after = everything(source, owners), everything(copied, owners)
        assert after == before
        # Not vacuously: the records hold what the old store wrote.
        nord = copied.deals.get("rest:anna", "Nordstahl")
        assert [p.name for p in nord.stakeholders] == ["Petra Lang", "Jan Nowak", "CTO"]
        assert len(after[f"rest:anna {nord.id} facts"]) == 5
        assert after["rest:anna active"] == nord.id
        assert after["slack:T1:U2 quiz"].question_ids == ("q3", "q4", "q5")

        # The copy works on: new rows get new ids after the copied ones.
        fresh, created = copied.deals.open("rest:anna", "Initech")
        assert created and fresh.id > max(d.id for d in after["rest:anna deals"])
        review = copied.history.start_review("rest:anna", nord.id)
        assert review > max(r.id for r in after[f"rest:anna {nord.id} reviews"])
        nord = copied.deals.apply(
            "rest:anna", nord.id, [Change("person", "Ana", data={"add_roles": ["user"]})]
        )
        assert nord.stakeholders[-1].id > max(
            p.id for p in before[f"rest:anna {nord.id} by name"].stakeholders
        )
        running = copied.quizzes.current("slack:T1:U2")
        copied.quizzes.record_answer("slack:T1:U2", running.id, "q4", "stages", True)
    finally:
        source.close()
        copied.close()


def test_a_target_with_deals_is_refused_unless_replaced(old_file, target):
    store = open_store(target)
    store.deals.open("someone", "Already here")
    store.close()
    refused = migrate(source=old_file, url=target)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "already holds deal data (deals 1 rows): nothing was copied" in refused.stderr
    assert "--replace" in refused.stderr and "Traceback" not in refused.stderr
    assert table_counts(target) == {t: (1 if t == "deals" else 0) for t in OLD_COUNTS}

    replaced = migrate("--replace", source=old_file, url=target)
    assert replaced.returncode == 0, replaced.stderr
    assert table_counts(target) == OLD_COUNTS
    store = open_store(target)
    try:
        # The deal that was there is gone; the old store's deals are all there is.
        assert store.deals.owners() == ["rest:anna", "slack:T1:U2"]
        assert store.deals.list_for("someone") == []
    finally:
        store.close()


def test_a_row_that_does_not_fit_copies_nothing(old_file, target):
    # A stakeholder of a deal that no longer exists: SQLite (foreign keys off, as old
    # files were written) keeps it; PostgreSQL's foreign key refuses it.
    conn = sqlite3.connect(old_file)
    conn.execute(
        "INSERT INTO stakeholders (deal_id, position, name, name_key) "
        "VALUES (999, 0, 'Ghost', 'ghost')"
    )
    conn.commit()
    conn.close()
    result = migrate(source=old_file, url=target)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "stakeholders: a row does not fit PostgreSQL" in result.stderr
    assert table_counts(target) == {t: 0 for t in OLD_COUNTS}


def test_without_a_target_or_a_source_it_says_what_is_missing(old_file, tmp_path, target):
    no_target = migrate(source=old_file, url=None)
    assert no_target.returncode == 1
    assert "--to postgresql://" in no_target.stderr and "DEALCOACH_DATABASE_URL" in no_target.stderr
    no_source = migrate("--from", str(tmp_path / "none.db"), source=old_file, url=target)
    assert no_source.returncode == 1 and "no deal database at" in no_source.stderr
    assert not (tmp_path / "none.db").exists()


def test_export_reads_the_postgresql_store_when_the_url_is_set(old_file, target):
    assert migrate(source=old_file, url=target).returncode == 0
    env = {**os.environ, "DEALCOACH_DATABASE_URL": target, "DEALCOACH_DB": "/nonexistent.db"}
    exported = subprocess.run(
        [str(SCRIPT), "export", "--owner", "rest:anna"], capture_output=True, text=True, env=env
    )
    assert exported.returncode == 0, exported.stderr
    assert (
        '"company": "Globex \\u00dcnited"' in exported.stdout or "Globex Ünited" in exported.stdout
    )
