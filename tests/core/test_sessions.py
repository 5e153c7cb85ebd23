"""Session rules and the pruning of old conversations (``dealcoach.serving.sessions``), on a
SQLite file with the tracker store's own table; ``tests/e2e/test_sessions.py`` runs them
against the real servers."""

from __future__ import annotations

import sqlite3

import pytest
import yaml

from dealcoach.serving import cli
from dealcoach.serving.sessions import (
    SESSION_MINUTES,
    prune_conversations,
    session_is_full,
    slots_to_carry,
)
from tests.conftest import ROOT

DAY = 86400.0
NOW = 1_800_000_000.0

#: Rasa 3.6's ``events`` table (``SQLTrackerStore.SQLEvent``).
EVENTS_TABLE = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
    "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
    "action_name VARCHAR(255), data TEXT)"
)


def test_the_domain_says_the_session_period_the_core_documents():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    config = domain["session_config"]
    assert config["session_expiration_time"] == SESSION_MINUTES
    assert config["carry_over_slots_to_new_session"] is True


def test_a_session_ends_at_its_message_limit():
    assert not session_is_full(49, 50)
    assert session_is_full(50, 50) and session_is_full(51, 50)
    assert not session_is_full(10_000, 0)  # 0: no limit by count


def test_each_slot_carries_its_current_value_once():
    current = {"pending_check": {"buying_stage": "need"}, "last_concept": None, "flag": False}
    initial = {"pending_check": None, "last_concept": None, "flag": False}
    assert slots_to_carry(current, initial) == {"pending_check": {"buying_stage": "need"}}


def _tracker_db(path, rows):
    connection = sqlite3.connect(str(path))
    connection.execute(EVENTS_TABLE)
    connection.executemany(
        "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
        [
            (sender, kind, at, "{}" if kind != "user" else '{"text": "x"}')
            for sender, kind, at in rows
        ],
    )
    connection.commit()
    connection.close()


def _left(path):
    connection = sqlite3.connect(str(path))
    try:
        return sorted(
            connection.execute("SELECT sender_id, type_name, timestamp FROM events").fetchall()
        )
    finally:
        connection.close()


def _session(sender, started):
    # As Rasa writes them: action_session_start is stamped just after the session start.
    return [
        (sender, "session_started", started),
        (sender, "action", started + 0.001),
        (sender, "user", started + 10),
        (sender, "bot", started + 11),
    ]


def test_prune_removes_ended_sessions_older_than_the_period(tmp_path):
    db = tmp_path / "tracker.db"
    anna = _session("anna", NOW - 40 * DAY) + _session("anna", NOW - 35 * DAY)
    anna_now = _session("anna", NOW - 2 * DAY)
    # Ben's only session is a year old: it is his current one and stays.
    ben = _session("ben", NOW - 365 * DAY)
    # Cleo's ended session is recent: inside the period.
    cleo = _session("cleo", NOW - 5 * DAY) + _session("cleo", NOW - DAY)
    # Dan's events predate sessions (no session start): nothing says what is current.
    dan = [("dan", "user", NOW - 100 * DAY)]
    _tracker_db(db, anna + anna_now + ben + cleo + dan)

    report = prune_conversations(db, older_than_days=30, now=NOW)

    assert _left(db) == sorted(anna_now + ben + cleo + dan)
    assert report.events_removed == len(anna) and report.conversations_touched == 1
    assert report.events_left == len(anna_now + ben + cleo + dan)
    assert report.bytes_after <= report.bytes_before


def test_prune_with_no_period_keeps_only_current_sessions(tmp_path):
    db = tmp_path / "tracker.db"
    cleo_now = _session("cleo", NOW - DAY)
    _tracker_db(db, _session("cleo", NOW - 5 * DAY) + cleo_now)
    assert prune_conversations(db, older_than_days=0, now=NOW).events_removed == 4
    assert _left(db) == sorted(cleo_now)
    # Pruning again finds nothing more.
    assert prune_conversations(db, older_than_days=0, now=NOW).events_removed == 0


def test_prune_refuses_what_it_cannot_do(tmp_path):
    with pytest.raises(FileNotFoundError):
        prune_conversations(tmp_path / "missing.db", 30)
    db = tmp_path / "tracker.db"
    _tracker_db(db, _session("anna", NOW))
    with pytest.raises(ValueError):
        prune_conversations(db, -1)
    empty = tmp_path / "empty.db"
    sqlite3.connect(str(empty)).close()  # a new file: Rasa has not created its table yet
    assert prune_conversations(empty, 30).events_removed == 0


def test_the_command_prunes_and_says_what_it_did(tmp_path, capsys):
    db = tmp_path / "tracker.db"
    _tracker_db(db, _session("anna", NOW - 400 * DAY) + _session("anna", NOW - 200 * DAY))
    assert cli.main(["prune-conversations", "--older-than", "90", "--tracker-db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "removed 4 conversation events older than 90 days from 1 conversations" in out
    assert len(_left(db)) == 4


def test_the_command_answers_bad_input_clearly(tmp_path, capsys):
    assert cli.main(["prune-conversations", "--tracker-db", str(tmp_path / "none.db")]) == 1
    assert "no tracker database at" in capsys.readouterr().err
    for days in ("-3", "soon", "nan"):
        with pytest.raises(SystemExit) as stopped:
            cli.main(["prune-conversations", "--older-than", days])
        assert stopped.value.code == 2
        assert "is not a number of days" in capsys.readouterr().err
