"""The SQLite store on a real file: persistence, isolation, concurrent writers, and what
only SQLite has (file permissions, WAL, schema versions). The behaviour every backend
must show is in ``store_contract.py``."""

import multiprocessing
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from dealcoach.deals.deal import Change
from dealcoach.storage import SCHEMA_VERSION, SchemaTooNew, open_store, schema


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "deals.db"


@pytest.fixture
def store(db_path):
    s = open_store(db_path)
    yield s
    s.close()


def test_a_deal_is_found_again_by_its_name_forgivingly(store):
    deal, created = store.deals.open("u1", "Acme")
    assert created
    again, created = store.deals.open("u1", "the ACME deal")
    assert not created and again.id == deal.id
    assert store.deals.get("u1", "acme").id == deal.id


def test_facts_and_stakeholders_survive_a_reopen(db_path):
    store = open_store(db_path)
    deal, _ = store.deals.open("u1", "Nordstahl")
    store.deals.apply(
        "u1",
        deal.id,
        [
            Change("fact", "sector", "steel_metals"),
            Change("fact", "employees", 2000),
            Change("person", "Petra Lang", data={"title": "CFO", "add_roles": ["decider"]}),
            Change("person", "Petra Lang", data={"add_roles": ["buyer"], "met": True}),
            Change("unknown", "perceived_risk"),
            Change("asking", value="role:prescriber"),
        ],
    )
    store.close()
    reopened = open_store(db_path).deals.get("u1", "Nordstahl")
    assert (reopened.sector, reopened.employees) == ("steel_metals", 2000)
    (petra,) = reopened.stakeholders
    assert (petra.name, petra.title, petra.roles, petra.met) == (
        "Petra Lang",
        "CFO",
        ["buyer", "decider"],
        True,
    )
    assert reopened.unknown == ["perceived_risk"] and reopened.asking == "role:prescriber"


def test_two_salespeople_never_see_each_others_deals(store):
    mine, _ = store.deals.open("alice", "Acme")
    theirs, _ = store.deals.open("bob", "Acme")
    assert mine.id != theirs.id
    store.deals.apply("alice", mine.id, [Change("fact", "sector", "robotics")])
    assert store.deals.get("bob", "Acme").sector is None
    assert [d.company for d in store.deals.list_for("bob")] == ["Acme"]
    assert store.deals.get_by_id("bob", mine.id) is None
    with pytest.raises(KeyError):
        store.deals.apply("bob", mine.id, [Change("fact", "sector", "retail")])
    with pytest.raises(KeyError):
        store.history.log_advice("bob", mine.id, ["find_the_decider"])
    assert store.deals.get("alice", "Acme").sector == "robotics"


def test_fact_changes_reviews_and_advice_are_kept_as_history(store):
    deal, _ = store.deals.open("u1", "Globex")
    store.history.start_review("u1", deal.id)
    store.deals.apply("u1", deal.id, [Change("fact", "purchase_situation", "new_task")])
    store.deals.apply("u1", deal.id, [Change("fact", "purchase_situation", "modified_rebuy")])
    store.history.log_advice("u1", deal.id, ["a", "b", "c"])
    store.history.end_review("u1", deal.id, "complete")
    log = list(store.db.query("SELECT old, new FROM fact_log WHERE field = 'purchase_situation'"))
    assert log == [{"old": None, "new": "new_task"}, {"old": "new_task", "new": "modified_rebuy"}]
    assert [a.rule_id for a in store.history.advice("u1", deal.id)] == ["a", "b", "c"]
    (review,) = store.history.reviews("u1", deal.id)
    assert review.outcome == "complete" and review.ended_at


def test_active_deal_is_per_salesperson(store):
    a, _ = store.deals.open("alice", "Acme")
    store.sessions.set_active("alice", a.id)
    assert store.active_deal("alice").id == a.id
    assert store.active_deal("bob") is None


def test_database_file_is_private_and_in_wal_mode(store, db_path):
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    assert store.db.journal_mode == "wal"


def _add_people(path, owner, deal_id, prefix, count):
    store = open_store(path)
    for i in range(count):
        store.deals.apply(
            owner, deal_id, [Change("person", f"{prefix} {i}", data={"add_roles": ["user"]})]
        )
        store.deals.apply(owner, deal_id, [Change("fact", "employees", i)])
    store.close()


def test_two_processes_writing_at_once_lose_nothing(store, db_path):
    deal, _ = store.deals.open("u1", "Initech")
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=_add_people, args=(db_path, "u1", deal.id, name, 60))
        for name in ("left", "right")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    names = {s.name for s in store.deals.get("u1", "Initech").stakeholders}
    assert len(names) == 120
    assert {f"left {i}" for i in range(60)} | {f"right {i}" for i in range(60)} == names
    changes = list(store.db.query("SELECT COUNT(*) AS n FROM fact_log WHERE field='employees'"))
    assert changes[0]["n"] >= 60
    assert list(store.db.query("PRAGMA integrity_check"))[0]["integrity_check"] == "ok"


def test_a_role_assumed_from_the_title_is_stored_as_assumed(db_path):
    store = open_store(db_path)
    deal, _ = store.deals.open("u1", "Nordstahl")
    change = Change("person", "Petra Lang", data={"title": "CFO", "assume_roles": ["decider"]})
    store.deals.apply("u1", deal.id, [change])
    store.close()
    (petra,) = open_store(db_path).deals.get("u1", "Nordstahl").stakeholders
    assert (petra.roles, petra.assumed) == (["decider"], ["decider"])


def test_a_database_from_before_assumed_roles_gets_the_column(db_path):
    # An unversioned file of the first release, before assumed_roles existed.
    conn = old_database(db_path)
    conn.execute("ALTER TABLE stakeholders DROP COLUMN assumed_roles")
    conn.commit()
    conn.close()
    store = open_store(db_path)
    deal, _ = store.deals.open("u1", "Acme")
    store.deals.apply("u1", deal.id, [Change("person", "Jan", data={"add_roles": ["buyer"]})])
    assert store.deals.get("u1", "Acme").stakeholders[0].assumed == []
    store.close()


# --- schema versions: a file written by main before them, and one from the future ---

OLD_DUMP = Path(__file__).parent / "data" / "deals_f933c6c.sql"


def old_database(path):
    """The deal database main wrote at f933c6c (``data/make_deals_f933c6c.py``)."""
    conn = sqlite3.connect(path)
    conn.executescript(OLD_DUMP.read_text(encoding="utf-8"))
    return conn


def table_rows(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    tables = [
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    rows = {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY 1')] for t in tables}
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return rows, version


def test_a_database_from_main_before_versions_upgrades_without_losing_a_row(db_path):
    old_database(db_path).close()
    before, version = table_rows(db_path)
    assert version == 0
    assert {t: len(r) for t, r in before.items()} == {
        "advice_log": 4,
        "deals": 3,
        "fact_log": 7,
        "quiz_answers": 3,
        "quiz_runs": 2,
        "reviews": 3,
        "salespeople": 2,
        "stakeholders": 4,
    }
    open_store(db_path).close()
    after, version = table_rows(db_path)
    assert version == SCHEMA_VERSION
    # Columns added since (version 3: each salesperson's language) are empty...
    for row in after["salespeople"]:
        assert (row.pop("language"), row.pop("language_chosen")) == (None, None)
    assert after == before  # ...and every row of every table, every column, unchanged

    # And the repositories read it all back as the old store wrote it.
    store = open_store(db_path)
    nord = store.deals.get("rest:anna", "Nordstahl")
    assert (nord.sector, nord.employees, nord.purchase_situation) == (
        "steel_metals",
        2000,
        "modified_rebuy",
    )
    assert (nord.unknown, nord.deferred, nord.asking, nord.asked) == (
        ["perceived_risk"],
        ["buying_stage"],
        "role:influencer",
        2,
    )
    people = [
        (p.name, p.title, p.roles, p.assumed, p.stance, p.met, p.named) for p in nord.stakeholders
    ]
    assert people == [
        ("Petra Lang", "cfo", ["decider"], ["decider"], "unknown", None, True),
        ("Jan Nowak", None, ["buyer"], [], "champion", True, True),
        ("CTO", None, ["prescriber"], [], "unknown", None, False),
    ]
    assert [d.company for d in store.deals.list_for("rest:anna")] == ["Globex Ünited", "Nordstahl"]
    assert store.active_deal("rest:anna").id == nord.id
    assert store.active_deal("slack:T1:U2") is None
    assert [
        (r.outcome, r.ended_at is None) for r in store.history.reviews("rest:anna", nord.id)
    ] == [
        ("complete", False),
        (None, True),
    ]
    assert [a.rule_id for a in store.history.advice("rest:anna", nord.id)] == [
        "find_the_decider",
        "map_the_centre",
        "meet_cto",
    ]
    assert len(store.history.fact_changes("rest:anna", nord.id)) == 5
    (result,) = store.quizzes.history("rest:anna")
    assert (result.topic, result.score, result.answered) == ("buying_centre", 1, 2)
    running = store.quizzes.current("slack:T1:U2")
    assert (running.question_ids, running.position, running.score) == (("q3", "q4", "q5"), 1, 1)
    # It works on: the running quiz goes on, the deal changes, Jan keeps his row.
    jan_id = nord.stakeholders[1].id
    store.quizzes.record_answer("slack:T1:U2", running.id, "q4", "purchase_situation", False)
    nord = store.deals.apply(
        "rest:anna", nord.id, [Change("person", "Jan Nowak", data={"met": False})]
    )
    assert (nord.stakeholders[1].id, nord.stakeholders[1].met) == (jan_id, False)
    store.close()


def test_an_old_database_opened_by_two_processes_at_once_is_upgraded_once(db_path):
    old_database(db_path).close()
    before, _ = table_rows(db_path)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_open_and_close, args=(db_path,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    after, version = table_rows(db_path)
    for row in after["salespeople"]:  # (version 3's columns, empty)
        assert (row.pop("language"), row.pop("language_chosen")) == (None, None)
    assert (after, version) == (before, SCHEMA_VERSION)


def _open_and_close(path):
    open_store(path).close()


def test_a_database_from_a_newer_dealcoach_is_refused_and_left_alone(db_path):
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew) as refused:
        open_store(db_path)
    assert str(refused.value).startswith(
        f"The deal database {db_path} has schema version {SCHEMA_VERSION + 1}, but this "
        f"dealcoach knows versions up to {SCHEMA_VERSION}: it was written by a newer dealcoach."
    )
    _, version = table_rows(db_path)
    assert version == SCHEMA_VERSION + 1


def test_a_failed_migration_leaves_the_file_as_it_was(db_path, monkeypatch):
    old_database(db_path).close()
    before = table_rows(db_path)

    def broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    with pytest.raises(RuntimeError, match="disk on fire"):
        open_store(db_path)
    assert table_rows(db_path) == before  # not even the baseline's changes


def test_a_new_file_and_an_upgraded_old_one_have_the_same_schema(tmp_path):
    open_store(tmp_path / "new.db").close()
    old_database(tmp_path / "old.db").close()
    open_store(tmp_path / "old.db").close()

    def schema_of(path):
        conn = sqlite3.connect(path)
        sql = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        conn.close()
        return sql

    assert schema_of(tmp_path / "new.db") == schema_of(tmp_path / "old.db")


# --- stakeholders are written where they changed -------------------------------------


def test_a_change_to_one_stakeholder_writes_only_that_row(store):
    deal, _ = store.deals.open("u1", "Acme")
    people = [Change("person", n, data={"add_roles": ["user"]}) for n in ("Ana", "Bo", "Cy")]
    deal = store.deals.apply("u1", deal.id, people)
    ids = [p.id for p in deal.stakeholders]
    conn = store.db.conn

    changes = conn.total_changes
    store.deals.apply("u1", deal.id, [Change("fact", "sector", "retail")])
    assert conn.total_changes - changes == 2  # the deal's row and its fact_log line

    changes = conn.total_changes
    deal = store.deals.apply("u1", deal.id, [Change("person", "Bo", data={"met": True})])
    assert conn.total_changes - changes == 2  # the deal's row and Bo's
    assert [p.id for p in deal.stakeholders] == ids

    changes = conn.total_changes
    deal = store.deals.apply("u1", deal.id, [Change("forget", "Ana")])
    # The deal, Ana's row deleted, and Bo and Cy moved up one place.
    assert conn.total_changes - changes == 4
    assert [p.id for p in store.deals.get("u1", "Acme").stakeholders] == ids[1:]
