"""`dealcoach export`: the installed console script on a real database file."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dealcoach.deals.deal import Change
from dealcoach.storage import open_store

SCRIPT = Path(sys.executable).parent / "dealcoach"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "deals.db"
    store = open_store(path)
    deal, _ = store.deals.open("alice", "Nordstahl")
    store.deals.apply(
        "alice",
        deal.id,
        [
            Change("fact", "sector", "steel_metals"),
            Change("fact", "employees", 2000),
            Change("fact", "company_size", "large"),
            Change("fact", "purchase_situation", "new_task"),
            Change(
                "person",
                "Petra Lang",
                data={"title": "CFO", "add_roles": ["buyer"], "assume_roles": ["decider"]},
            ),
            Change("person", "CFO", data={"named": False, "add_roles": ["user"]}),
        ],
    )
    store.deals.open("bob", "Globex")
    store.close()
    return path


def run(*args, db):
    env = {**os.environ, "DEALCOACH_DB": str(db)}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, check=True)


def test_json_export_has_every_deal_with_canonical_values(db):
    deals = json.loads(run("export", "--format", "json", db=db).stdout)
    assert [(d["owner"], d["company"]) for d in deals] == [
        ("alice", "Nordstahl"),
        ("bob", "Globex"),
    ]
    nordstahl = deals[0]
    assert nordstahl["sector"] == "steel_metals" and nordstahl["employees"] == 2000
    assert nordstahl["buying_stage"] is None and nordstahl["perceived_risk"] is None
    assert nordstahl["stakeholders"][0] == {
        "name": "Petra Lang",
        "title": "CFO",
        "roles": ["buyer", "decider"],
        "assumed_roles": ["decider"],  # from the title only
        "stance": "unknown",
        "met": None,
    }
    assert nordstahl["stakeholders"][1]["name"] is None  # known only by title
    assert set(nordstahl) >= {"owner", "company", "company_size", "updated_at", "stakeholders"}


def test_owner_filter(db):
    deals = json.loads(run("export", "--owner", "bob", db=db).stdout)
    assert [d["company"] for d in deals] == ["Globex"]


def test_csv_export_one_row_per_stakeholder(db):
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv", db=db).stdout)))
    assert [(r["company"], r["stakeholder_name"]) for r in rows] == [
        ("Nordstahl", "Petra Lang"),
        ("Nordstahl", ""),
        ("Globex", ""),
    ]
    assert rows[0]["stakeholder_roles"] == "buyer;decider"
    assert rows[0]["stakeholder_assumed_roles"] == "decider"


def test_missing_database_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [str(SCRIPT), "export", "--db", str(tmp_path / "none.db")], capture_output=True, text=True
    )
    assert result.returncode == 1 and "no deal database" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_a_database_from_a_newer_dealcoach_is_a_clear_error(db):
    import sqlite3

    from dealcoach.storage import SCHEMA_VERSION

    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    result = subprocess.run(
        [str(SCRIPT), "export", "--db", str(db)], capture_output=True, text=True
    )
    assert result.returncode == 1 and result.stdout == ""
    assert f"has schema version {SCHEMA_VERSION + 1}" in result.stderr
    assert "written by a newer dealcoach" in result.stderr and "Traceback" not in result.stderr
