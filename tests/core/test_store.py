"""The deal store on a real SQLite file: persistence, isolation, concurrent writers."""

import multiprocessing
import os
import stat

import pytest

from dealcoach.deal import Change
from dealcoach.store import SQLiteDealStore


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "deals.db"


@pytest.fixture
def store(db_path):
    s = SQLiteDealStore(db_path)
    yield s
    s.close()


def test_a_deal_is_found_again_by_its_name_forgivingly(store):
    deal, created = store.open_deal("u1", "Acme")
    assert created
    again, created = store.open_deal("u1", "the ACME deal")
    assert not created and again.id == deal.id
    assert store.get_deal("u1", "acme").id == deal.id


def test_facts_and_stakeholders_survive_a_reopen(db_path):
    store = SQLiteDealStore(db_path)
    deal, _ = store.open_deal("u1", "Nordstahl")
    store.apply(
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
    reopened = SQLiteDealStore(db_path).get_deal("u1", "Nordstahl")
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
    mine, _ = store.open_deal("alice", "Acme")
    theirs, _ = store.open_deal("bob", "Acme")
    assert mine.id != theirs.id
    store.apply("alice", mine.id, [Change("fact", "sector", "robotics")])
    assert store.get_deal("bob", "Acme").sector is None
    assert [d.company for d in store.list_deals("bob")] == ["Acme"]
    assert store.get_deal_by_id("bob", mine.id) is None
    with pytest.raises(KeyError):
        store.apply("bob", mine.id, [Change("fact", "sector", "retail")])
    with pytest.raises(KeyError):
        store.log_advice("bob", mine.id, ["find_the_decider"])
    assert store.get_deal("alice", "Acme").sector == "robotics"


def test_fact_changes_reviews_and_advice_are_kept_as_history(store):
    deal, _ = store.open_deal("u1", "Globex")
    store.start_review("u1", deal.id)
    store.apply("u1", deal.id, [Change("fact", "purchase_situation", "new_task")])
    store.apply("u1", deal.id, [Change("fact", "purchase_situation", "modified_rebuy")])
    store.log_advice("u1", deal.id, ["a", "b", "c"])
    store.end_review("u1", deal.id, "complete")
    log = list(store.db.query("SELECT old, new FROM fact_log WHERE field = 'purchase_situation'"))
    assert log == [{"old": None, "new": "new_task"}, {"old": "new_task", "new": "modified_rebuy"}]
    assert [a["rule_id"] for a in store.advice_history("u1", deal.id)] == ["a", "b", "c"]
    (review,) = store.reviews("u1", deal.id)
    assert review["outcome"] == "complete" and review["ended_at"]


def test_active_deal_is_per_salesperson(store):
    a, _ = store.open_deal("alice", "Acme")
    store.set_active("alice", a.id)
    assert store.active_deal("alice").id == a.id
    assert store.active_deal("bob") is None


def test_database_file_is_private_and_in_wal_mode(store, db_path):
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    assert store.db.journal_mode == "wal"


def _add_people(path, owner, deal_id, prefix, count):
    store = SQLiteDealStore(path)
    for i in range(count):
        store.apply(
            owner, deal_id, [Change("person", f"{prefix} {i}", data={"add_roles": ["user"]})]
        )
        store.apply(owner, deal_id, [Change("fact", "employees", i)])
    store.close()


def test_two_processes_writing_at_once_lose_nothing(store, db_path):
    deal, _ = store.open_deal("u1", "Initech")
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
    names = {s.name for s in store.get_deal("u1", "Initech").stakeholders}
    assert len(names) == 120
    assert {f"left {i}" for i in range(60)} | {f"right {i}" for i in range(60)} == names
    changes = list(store.db.query("SELECT COUNT(*) AS n FROM fact_log WHERE field='employees'"))
    assert changes[0]["n"] >= 60
    assert list(store.db.query("PRAGMA integrity_check"))[0]["integrity_check"] == "ok"


def test_a_role_assumed_from_the_title_is_stored_as_assumed(db_path):
    store = SQLiteDealStore(db_path)
    deal, _ = store.open_deal("u1", "Nordstahl")
    change = Change("person", "Petra Lang", data={"title": "CFO", "assume_roles": ["decider"]})
    store.apply("u1", deal.id, [change])
    store.close()
    (petra,) = SQLiteDealStore(db_path).get_deal("u1", "Nordstahl").stakeholders
    assert (petra.roles, petra.assumed) == (["decider"], ["decider"])


def test_a_database_from_before_assumed_roles_gets_the_column(db_path):
    import sqlite3

    SQLiteDealStore(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("ALTER TABLE stakeholders DROP COLUMN assumed_roles")
    conn.commit()
    conn.close()
    store = SQLiteDealStore(db_path)
    deal, _ = store.open_deal("u1", "Acme")
    store.apply("u1", deal.id, [Change("person", "Jan", data={"add_roles": ["buyer"]})])
    assert store.get_deal("u1", "Acme").stakeholders[0].assumed == []
    store.close()
