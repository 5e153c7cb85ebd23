"""Writes ``deals_f933c6c.sql``: a deal database written by main at commit f933c6c.

Why: the storage has a schema version from issue 14 on, and a database from before
it must open and upgrade without losing a row. The test needs a file that today's
code did not write, so this script runs the store of f933c6c itself (extracted with
``git archive``) and dumps what it wrote as SQL. Run it from the repository root:

    .venv/bin/python tests/core/data/make_deals_f933c6c.py

It only needs to run again if the fixture's contents should change.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

COMMIT = "f933c6c"
HERE = Path(__file__).resolve().parent
OUT = HERE / f"deals_{COMMIT}.sql"


def write_with_old_store(db_path: Path) -> None:
    """Every table of the old schema gets rows, through the old store's own methods."""
    from dealcoach.deals.deal import Change
    from dealcoach.store import SQLiteDealStore

    store = SQLiteDealStore(db_path)
    nord, _ = store.open_deal("rest:anna", "Nordstahl")
    store.start_review("rest:anna", nord.id)
    store.apply(
        "rest:anna",
        nord.id,
        [
            Change("fact", "sector", "steel_metals"),
            Change("fact", "employees", 2000),
            Change("fact", "company_size", "large"),
            Change("fact", "purchase_situation", "new_task"),
            Change("person", "Petra Lang", data={"title": "cfo", "assume_roles": ["decider"]}),
            Change("person", "Jan Nowak", data={"add_roles": ["buyer"], "met": True}),
            Change("person", "CTO", data={"named": False, "add_roles": ["prescriber"]}),
            Change("person", "Jan Nowak", data={"stance": "champion"}),
            Change("unknown", "perceived_risk"),
            Change("defer", "buying_stage"),
            Change("asking", value="role:influencer", data={"times": 2}),
        ],
    )
    store.apply("rest:anna", nord.id, [Change("fact", "purchase_situation", "modified_rebuy")])
    store.log_advice("rest:anna", nord.id, ["find_the_decider", "map_the_centre", "meet_cto"])
    store.end_review("rest:anna", nord.id, "complete")
    store.start_review("rest:anna", nord.id)  # a review still open

    globex, _ = store.open_deal("rest:anna", "Globex Ünited")
    store.apply(
        "rest:anna",
        globex.id,
        [
            Change("fact", "buying_stage", "negotiation"),
            Change("person", "Ana", data={"add_roles": ["user"], "met": False}),
            Change("status", value="paused"),
        ],
    )
    store.set_active("rest:anna", nord.id)

    acme, _ = store.open_deal("slack:T1:U2", "Acme")
    store.apply("slack:T1:U2", acme.id, [Change("fact", "sector", "robotics")])
    store.start_review("slack:T1:U2", acme.id)
    store.log_advice("slack:T1:U2", acme.id, ["multithread"])
    store.set_active("slack:T1:U2", None)

    done = store.start_quiz("rest:anna", "buying_centre", ["q1", "q2"])
    store.record_answer("rest:anna", done, "q1", "buying_centre", True)
    store.record_answer("rest:anna", done, "q2", "buying_centre", False)
    running = store.start_quiz("slack:T1:U2", None, ["q3", "q4", "q5"])
    store.record_answer("slack:T1:U2", running, "q3", "purchase_situation", True)
    store.close()


def main() -> int:
    root = Path(__file__).resolve().parents[3]
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", COMMIT, "dealcoach"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp)
        db_path = Path(tmp) / "deals.db"
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(1, sys.argv[2]);"
            "import dealcoach; assert dealcoach.__file__.startswith(sys.argv[1]);"
            "import make_deals_f933c6c as m; from pathlib import Path;"
            "m.write_with_old_store(Path(sys.argv[3]))"
        )
        # A fresh interpreter, so that the old package is the only dealcoach it sees.
        subprocess.run(
            [sys.executable, "-c", code, tmp, str(HERE), str(db_path)],
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        conn = sqlite3.connect(db_path)
        lines = [
            f"-- A deal database written by dealcoach's store at commit {COMMIT}",
            "-- (tests/core/data/make_deals_f933c6c.py). Do not edit by hand.",
            *conn.iterdump(),
        ]
        conn.close()
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
