"""Sessions and retention (issue 13) against the real servers: a review paused for longer
than a session continues, after `dealcoach prune-conversations` too; what waits for an
answer survives a session start; a session ends at its message limit.

Time passing is the tracker store's own timestamps moved back (the column and the
event's JSON, which Rasa reads): the servers then see a salesperson back after days.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from dealcoach.serving.sessions import SESSION_MESSAGES
from tests.e2e.checks import query

DAY = 86400


def age_conversation(db: Path, sender: str, seconds: float) -> None:
    """Make every event of ``sender`` ``seconds`` older, as if that time had passed."""
    connection = sqlite3.connect(str(db), timeout=30)
    try:
        with connection:
            connection.execute(
                "UPDATE events SET timestamp = timestamp - ?, data = json_set(data, "
                "'$.timestamp', json_extract(data, '$.timestamp') - ?) WHERE sender_id = ?",
                [seconds, seconds, sender],
            )
    finally:
        connection.close()


def sessions_of(servers, sender: str) -> int:
    return query(
        servers.tracker_db,
        "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'session_started'",
        (sender,),
    )[0][0]


def events_of(servers, sender: str) -> list:
    return query(
        servers.tracker_db,
        "SELECT type_name, timestamp, data FROM events WHERE sender_id = ? ORDER BY id",
        (sender,),
    )


def deal_store_rows(servers, owner: str) -> dict:
    """Every row the deal store holds about ``owner``, table by table."""
    deal_ids = "SELECT id FROM deals WHERE owner = ?"
    tables = {
        "deals": f"SELECT * FROM deals WHERE id IN ({deal_ids})",
        "stakeholders": f"SELECT * FROM stakeholders WHERE deal_id IN ({deal_ids})",
        "reviews": f"SELECT * FROM reviews WHERE deal_id IN ({deal_ids})",
        "advice_log": f"SELECT * FROM advice_log WHERE deal_id IN ({deal_ids})",
        "fact_log": f"SELECT * FROM fact_log WHERE deal_id IN ({deal_ids})",
        "salespeople": "SELECT * FROM salespeople WHERE owner = ?",
        "quiz_runs": "SELECT * FROM quiz_runs WHERE owner = ?",
        "quiz_answers": "SELECT * FROM quiz_answers WHERE run_id IN "
        "(SELECT id FROM quiz_runs WHERE owner = ?)",
    }
    return {name: query(servers.db, sql, (owner,)) for name, sql in tables.items()}


def prune(servers, days: float) -> str:
    """The real command, as an operator runs it (`make prune`)."""
    command = [str(Path(sys.executable).parent / "dealcoach"), "prune-conversations"]
    command += ["--older-than", str(days), "--tracker-db", str(servers.tracker_db)]
    done = subprocess.run(command, env=servers.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_review_paused_for_a_week_continues_after_pruning(servers):
    me = "sessions-anna"
    servers.say(me, "quiz me")
    servers.say(me, "b")
    servers.say(me, "stop")
    assert "New deal: Kovac Steel" in servers.say(me, "new deal: Kovac Steel")
    servers.say(me, "they make steel, about 2000 people, it's a strategic purchase")
    servers.say(me, "the CFO makes the final call")
    asked = servers.say(me, "what should I do next?")
    before_pause = servers.say(me, "Petra Lang is the CFO")
    paused = servers.say(me, "stop")
    assert "Kovac Steel" in paused
    kept = deal_store_rows(servers, f"rest:{me}")
    assert kept["deals"] and kept["reviews"] and kept["fact_log"] and kept["quiz_answers"]
    assert asked and kept["advice_log"]
    deals = servers.deals(me)
    # Someone else's recent conversation, which pruning must leave alone.
    servers.say("sessions-other", "my deals")
    others = events_of(servers, "sessions-other")

    age_conversation(servers.tracker_db, me, 8 * DAY)
    servers.say(me, "my deals")  # a week later: a new session
    assert sessions_of(servers, me) == 2
    old = [e for e in events_of(servers, me) if e[1] < servers_now() - 7 * DAY]
    assert old, "the week-old session is in the tracker store before pruning"

    said = prune(servers, 7)
    assert f"removed {len(old)} conversation events" in said

    assert not [e for e in events_of(servers, me) if e[1] < servers_now() - 7 * DAY]
    assert sessions_of(servers, me) == 1
    assert events_of(servers, "sessions-other") == others
    assert servers.deals(me) == deals
    assert deal_store_rows(servers, f"rest:{me}") == kept
    # The review continues where it stopped: the question it asked before the pause.
    resumed = servers.say(me, "back to Kovac Steel")
    assert "Back to Kovac Steel" in resumed
    # (Its buttons, if it has any, come after it.)
    question = [line for line in before_pause.splitlines() if line.endswith("?")][-1]
    assert question in resumed
    assert "you haven't" not in resumed.lower()


def servers_now() -> float:
    import time

    return time.time()


def test_what_waits_for_an_answer_survives_a_session_start(servers):
    me = "sessions-ben"
    # Facts before any client is named: the bot asks which client, then an hour passes.
    assert "Which client" in servers.say(me, "it's a hospital group with 800 staff")
    age_conversation(servers.tracker_db, me, 2 * 3600)
    # A bare name in lower case is a client only as the answer to that question.
    reply = servers.say(me, "mas vidal")
    assert sessions_of(servers, me) == 2
    (deal,) = servers.deals(me)
    assert f"New deal: {deal['company']}" in reply
    assert deal["company"].lower() == "mas vidal"
    assert (deal["sector"], deal["employees"]) == ("healthcare", 800)
    # A deletion waiting for its yes or no, answered after a pause longer than a session.
    assert "Delete mas vidal" in servers.say(me, "delete the mas vidal deal")
    age_conversation(servers.tracker_db, me, 2 * 3600)
    assert "mas vidal stays" in servers.say(me, "no")
    assert sessions_of(servers, me) == 3
    assert [d["company"] for d in servers.deals(me)] == [deal["company"]]


def test_a_session_ends_at_its_message_limit_and_carries_each_slot_once(servers):
    me = "sessions-cleo"
    assert "buying centre" in servers.say(me, "what is a buying centre?").lower()
    assert "rebuy" in servers.say(me, "explain a modified rebuy").lower()
    for _ in range(SESSION_MESSAGES):
        servers.say(me, "hi")
    assert sessions_of(servers, me) == 2
    # The concept explained last before the new session is still "that".
    example = servers.say(me, "give me an example").lower()
    assert "rebuy" in example and "buying centre" not in example
    events = [json.loads(data) for _, _, data in events_of(servers, me)]
    starts = [i for i, e in enumerate(events) if e["event"] == "session_started"]
    carried = []
    for event in events[starts[-1] + 1 :]:
        if event["event"] == "action" and event.get("name") == "action_listen":
            break
        if event["event"] == "slot":
            carried.append(event["name"])
    assert "last_concept" in carried and len(carried) == len(set(carried))
