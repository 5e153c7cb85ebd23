"""The team topology, for real: two Rasa replicas and two action servers behind HAProxy,
PostgreSQL and Redis, all on loopback (``testkit.team.TeamTopology``, what ``make
serve-team`` starts), once for this module.

REST clients send no cookie, so HAProxy spreads their messages over both replicas
round-robin; each answer names its replica (``X-Dealcoach-Replica``). The tests that
kill a process come last, in the order they are written.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from collections import Counter
from typing import Any, Dict, Iterator, List, Tuple

import jwt
import psycopg2
import pytest
import requests

from dealcoach.storage import open_store, owner_id
from testkit.team import TeamTopology
from tests.conftest import MODEL
from tests.e2e.test_web_sign_in import SignedInChat

pytestmark = pytest.mark.slow

#: The signed-in web channel's secret in this topology (HS256).
JWT_SECRET = "team-topology-test-secret-of-enough-length"
#: Seconds a request may take before the test gives up: a guard, not a measurement.
PATIENCE = 180


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    topology = TeamTopology(
        tmp_path_factory.mktemp("team"),
        replicas=2,
        action_servers=2,
        model=MODEL,
        extra_env={"DEALCOACH_WEB_JWT_SECRET": JWT_SECRET},
    )
    try:
        topology.start_all()
    except RuntimeError as error:
        pytest.fail(str(error))
    yield topology
    topology.stop()


def send(url: str, sender: str, text: str) -> Tuple[List[Dict[str, Any]], str]:
    """One REST message; the bot's replies and the replica that answered."""
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=PATIENCE) as response:
        return json.loads(response.read()), response.headers.get("X-Dealcoach-Replica", "")


def said(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def give(**facts: Any) -> str:
    """A button's payload: these facts, as canonical values (no NLU involved)."""
    return "/give_facts" + json.dumps(facts)


#: One review, one fact a message: every message may land on either replica.
REVIEW_FACTS = [
    {"sector": "robotics"},
    {"employees": 300},
    {"purchase_situation": "new_task"},
    {"buying_stage": "specification"},
    {"perceived_risk": "high"},
]


def fact_changes(deals_url: str, owner: str, company: str) -> Counter:
    """How often each (fact, new value) was stored for the deal."""
    store = open_store(deals_url)
    try:
        deal = store.deals.get(owner, company)
        assert deal is not None, f"no deal {company} for {owner}"
        return Counter((c.fact, c.new) for c in store.history.fact_changes(owner, deal.id))
    finally:
        store.close()


def review(team: TeamTopology, sender: str, company: str, replicas: Counter) -> None:
    replies, replica = send(team.url, sender, f'/start_review{{"company": "{company}"}}')
    replicas[replica] += 1
    assert f"New deal: {company}" in said(replies)
    for facts in REVIEW_FACTS:
        replies, replica = send(team.url, sender, give(**facts))
        replicas[replica] += 1
        assert "can't reach" not in said(replies), said(replies)


def assert_stored_once(team: TeamTopology, sender: str, company: str) -> None:
    changes = fact_changes(team.deals_url, owner_id("rest", sender), company)
    for facts in REVIEW_FACTS:
        ((fact, value),) = facts.items()
        assert changes[(fact, str(value))] == 1, (sender, fact, changes)
    assert max(changes.values()) == 1, changes  # nothing stored twice


#: Salespeople reviewing at once, their messages spread over both replicas (issue 16).
SPREAD_SALESPEOPLE = 20


def company_of(sender: str) -> str:
    return f"Company {sender.rsplit('-', 1)[1]}"


def test_reviews_spread_over_both_replicas_store_every_fact_once(team, capsys):
    started = time.monotonic()
    replicas: Counter = Counter()
    salespeople = [f"rep-team-{i}" for i in range(SPREAD_SALESPEOPLE)]
    errors: List[BaseException] = []

    def run(sender: str) -> None:
        try:
            review(team, sender, company_of(sender), replicas)
        except BaseException as error:  # noqa: BLE001 (reported below, in the test's thread)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(s,)) for s in salespeople]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with capsys.disabled():
        print(
            f"\n[team] {len(salespeople)} reviews at once, {sum(replicas.values())} messages "
            f"({dict(replicas)}) in {time.monotonic() - started:.0f} s"
        )
    assert set(replicas) == {"rasa1", "rasa2"}, replicas
    for sender in salespeople:
        assert_stored_once(team, sender, company_of(sender))


def conversation_events(team: TeamTopology, sender: str) -> List[Tuple[str, str]]:
    """The conversation's events as the tracker store holds them: (type, action or text)."""
    with psycopg2.connect(team.tracker_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT type_name, action_name, data FROM events WHERE sender_id = %s ORDER BY id",
            [sender],
        )
        rows = cursor.fetchall()
    connection.close()
    return [(kind, action or json.loads(data).get("text") or "") for kind, action, data in rows]


def test_one_conversations_simultaneous_messages_are_handled_one_at_a_time(team):
    me = "rep-team-lock"
    send(team.url, me, '/start_review{"company": "Lockhart"}')
    messages = [give(sector="robotics"), give(employees=300), give(buying_stage="negotiation")]
    start = threading.Barrier(len(messages))
    answers: Dict[str, str] = {}

    def post(text: str, replica: str) -> None:
        start.wait()
        replies, _ = send(team.replica_url(replica), me, text)
        answers[text] = said(replies)

    # Straight to the replicas (not through HAProxy), at the same moment.
    threads = [
        threading.Thread(target=post, args=(text, f"rasa{1 + i % 2}"))
        for i, text in enumerate(messages)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) == set(messages)

    # In the stored conversation each message's turn ends (action_listen) before the
    # next message begins: no turn interleaved with another, none lost.
    events = conversation_events(team, me)
    turns: List[str] = []
    for kind, name in events:
        if kind == "user":
            assert not turns or turns[-1] == "listening", events
            turns.append(name)
        elif kind == "action" and name == "action_listen" and turns:
            turns.append("listening")
    users = [t for t in turns if t != "listening"]
    assert sorted(users[1:]) == sorted(messages), users
    changes = fact_changes(team.deals_url, owner_id("rest", me), "Lockhart")
    for fact, value in (
        ("sector", "robotics"),
        ("employees", "300"),
        ("buying_stage", "negotiation"),
    ):
        assert changes[(fact, value)] == 1, changes


def test_one_salesperson_in_two_browsers_on_two_replicas_shares_deals_and_answers(team):
    token = jwt.encode({"sub": "dana", "exp": int(time.time()) + 3600}, JWT_SECRET, "HS256")
    browsers = []
    try:
        for replica in ("rasa1", "rasa2"):
            jar = requests.Session()
            # HAProxy's sticky cookie, as a browser sent to this replica before would have it.
            jar.cookies.set("dealcoach_replica", replica)
            browsers.append(SignedInChat(team.url, token, http_session=jar))
        first, second = browsers
        assert first.confirmed_as == second.confirmed_as == "dana"
        assert "New deal: Danaworks" in first.say('/start_review{"company": "Danaworks"}')
        noted = first.say(give(sector="robotics"))
        # The second browser, on the other replica, saw that answer too (rooms via Redis).
        for _ in range(PATIENCE * 10):
            if any("robotics" in (r.get("text") or "") for r in second.replies):
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the other replica's browser never saw {noted!r}")
        listing = second.say("/list_deals")
        assert "Danaworks" in listing, listing
        assert "robotics" in second.say('/deal_brief{"company": "Danaworks"}').lower()
    finally:
        for browser in browsers:
            browser.close()
    store = open_store(team.deals_url)
    try:
        assert [d.company for d in store.deals.list_for(owner_id("web", "dana"))] == ["Danaworks"]
    finally:
        store.close()


def test_no_salesperson_sees_anothers_deal_across_replicas(team):
    # Each salesperson starts a deal on one replica, then asks on both replicas.
    deals = {"rep-team-erin": ("Erinvale", "rasa1"), "rep-team-finn": ("Finnmark", "rasa2")}
    for sender, (company, home) in deals.items():
        replies, _ = send(
            team.replica_url(home), sender, f'/start_review{{"company": "{company}"}}'
        )
        assert f"New deal: {company}" in said(replies)
        send(team.replica_url(home), sender, give(sector="robotics"))
    for sender, (company, _) in deals.items():
        (other,) = [c for s, (c, _) in deals.items() if s != sender]
        for replica in team.replica_ports:
            listing = said(send(team.replica_url(replica), sender, "/list_deals")[0])
            assert company in listing and other not in listing, (sender, replica, listing)
            mine = said(send(team.replica_url(replica), sender, give_brief(company))[0])
            assert "robotics" in mine.lower(), (sender, replica, mine)
            theirs = said(send(team.replica_url(replica), sender, give_brief(other))[0])
            assert f"You have no deal called {other}" in theirs, (sender, replica, theirs)
            assert "robotics" not in theirs.lower(), (sender, replica, theirs)
    store = open_store(team.deals_url)
    try:
        for sender, (company, _) in deals.items():
            listed = [d.company for d in store.deals.list_for(owner_id("rest", sender))]
            assert listed == [company], (sender, listed)
    finally:
        store.close()


def give_brief(company: str) -> str:
    """A button's payload asking for one deal's brief."""
    return "/deal_brief" + json.dumps({"company": company})


def test_postgresql_restarted_under_load_says_so_then_recovers_with_every_fact(team):
    salespeople = [f"rep-team-pg-{i}" for i in range(4)]
    unreachable = threading.Event()
    unreachable_answers: Counter = Counter()
    confirmed: Dict[str, int] = {s: 0 for s in salespeople}
    errors: List[BaseException] = []

    def review_through_the_restart(sender: str) -> None:
        # Each fact sent until the coach confirms it; "can't reach" means send it again.
        try:
            send(team.url, sender, f'/start_review{{"company": "Pg {sender[-1]}"}}')
            for facts in REVIEW_FACTS:
                for _ in range(PATIENCE):
                    text = said(send(team.url, sender, give(**facts))[0])
                    if "can't reach my memory" not in text:
                        break
                    unreachable_answers[sender] += 1
                    unreachable.set()
                    time.sleep(0.5)
                else:
                    pytest.fail(f"{sender}: the coach never came back")
                confirmed[sender] += 1
        except BaseException as error:  # noqa: BLE001 (reported below, in the test's thread)
            errors.append(error)

    threads = [threading.Thread(target=review_through_the_restart, args=(s,)) for s in salespeople]
    for thread in threads:
        thread.start()
    # Once every conversation is under way, PostgreSQL (deals and conversations) goes down.
    for _ in range(PATIENCE * 10):
        if all(confirmed.values()) or errors:
            break
        time.sleep(0.1)
    team.postgres.stop_server()
    try:
        unreachable.wait(PATIENCE)
    finally:
        team.postgres.start_server()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert unreachable.is_set() and sum(unreachable_answers.values()) > 0
    assert confirmed == {s: len(REVIEW_FACTS) for s in salespeople}, confirmed
    for sender in salespeople:
        assert_stored_once(team, sender, f"Pg {sender[-1]}")


@contextlib.contextmanager
def deal_row_locked(team: TeamTopology, sender: str, company: str) -> Iterator[None]:
    """The deal's row held ``FOR UPDATE`` from a connection of the test's own, as another
    replica in the middle of a write would: a message writing that deal waits for it."""
    blocker = psycopg2.connect(team.deals_url)
    try:
        with blocker.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM deals WHERE owner = %s AND company = %s FOR UPDATE",
                [owner_id("rest", sender), company],
            )
            assert cursor.rowcount == 1
        yield
    finally:
        blocker.rollback()
        blocker.close()


def session_waiting_on_a_row(deals_url: str) -> int:
    """Once a deal-store session waits on a row lock: that session's client port."""
    watcher = psycopg2.connect(deals_url)
    try:
        with watcher.cursor() as cursor:
            for _ in range(PATIENCE * 10):
                cursor.execute(
                    "SELECT client_port FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                row = cursor.fetchone()
                watcher.rollback()
                if row:
                    return row[0]
                time.sleep(0.1)
    finally:
        watcher.close()
    pytest.fail("the message never reached the locked deal row")


def send_in_background(url: str, sender: str, text: str) -> Tuple[threading.Thread, Dict]:
    """``send`` in a thread of its own; its outcome ("replies" or "error") in the dict."""
    outcome: Dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["replies"] = send(url, sender, text)[0]
        except (OSError, ValueError) as error:  # a connection cut by a killed server
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def lock_tickets(team: TeamTopology, sender: str) -> int:
    """How many tickets Redis holds for the conversation (0: nobody's turn)."""
    client = team.redis.client()
    try:
        return sum(client.zcard(key) for key in client.keys(f"*{sender}:queue"))
    finally:
        client.close()


def test_a_replica_killed_while_handling_a_message_loses_no_confirmed_fact(team, capsys):
    me = "rep-team-replica-down"
    send(team.replica_url("rasa1"), me, '/start_review{"company": "Killarney"}')
    assert "robotics" in said(send(team.replica_url("rasa1"), me, give(sector="robotics"))[0])
    in_flight = give(employees=300)
    with deal_row_locked(team, me, "Killarney"):
        thread, outcome = send_in_background(team.replica_url("rasa1"), me, in_flight)
        session_waiting_on_a_row(team.deals_url)
        # rasa1 is inside the message: its turn drawn in Redis, its action waiting.
        assert lock_tickets(team, me) == 1
        team.kill("rasa1")
        killed = time.monotonic()
    thread.join(PATIENCE)
    assert "error" in outcome, outcome  # the dead replica never answered

    # The salesperson sends it again; the other replica takes the conversation once
    # the dead replica's turn has expired in Redis.
    replies, replica = send(team.url, me, in_flight)
    held_up = time.monotonic() - killed
    with capsys.disabled():
        print(
            f"\n[team] a replica SIGKILLed mid-message held its conversation up {held_up:.1f} s "
            "(from the kill to the other replica's answer to the message sent again)"
        )
    assert replica == "rasa2"
    # Answered (the dead replica's action had stored the fact; sent again, it changes
    # nothing), and the review goes on from the stored conversation.
    assert said(replies) and "can't reach" not in said(replies), said(replies)
    for facts in REVIEW_FACTS[2:]:
        replies, replica = send(team.url, me, give(**facts))
        assert replica == "rasa2"
        assert "can't reach" not in said(replies), said(replies)
    assert_stored_once(team, me, "Killarney")


def test_an_action_server_killed_mid_write_leaves_no_half_written_deal(team):
    me = "rep-team-actions-down"
    send(team.url, me, '/start_review{"company": "Actonbury"}')
    send(team.url, me, give(sector="robotics"))
    in_flight = give(employees=300)
    with deal_row_locked(team, me, "Actonbury"):
        thread, outcome = send_in_background(team.url, me, in_flight)
        writer = team.holder_of_connection(session_waiting_on_a_row(team.deals_url))
        assert writer in team.action_ports, writer
        team.kill(writer)  # its transaction dies with its connection
    thread.join(PATIENCE)
    assert "can't reach my memory" in said(outcome.get("replies", [])), outcome

    store = open_store(team.deals_url)
    try:
        owner = owner_id("rest", me)
        deal = store.deals.get(owner, "Actonbury")
        assert deal is not None and deal.employees is None, deal
        changed = [c.fact for c in store.history.fact_changes(owner, deal.id)]
        assert changed == ["sector"], changed
    finally:
        store.close()

    # Sent again, the message reaches the surviving action server; the review goes on.
    replies, _ = send(team.url, me, in_flight)
    assert "300" in said(replies) and "can't reach" not in said(replies), said(replies)
    for facts in REVIEW_FACTS[2:]:
        replies, _ = send(team.url, me, give(**facts))
        assert "can't reach" not in said(replies), said(replies)
    assert_stored_once(team, me, "Actonbury")
