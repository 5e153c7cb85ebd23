"""A slow database holds up one conversation, not the action server.

The real action server runs on the deal store on PostgreSQL (the test session's
throwaway cluster). The test holds Alice's deal row locked from a connection of its
own, as another replica in the middle of a write would: Alice's "my deals" then waits
for that lock inside the action server. Bob's "my deals", sent while Alice's waits,
must be answered; had the coach's call run on the action server's event loop, Bob's
request would wait behind Alice's until the lock is let go, and this test would fail
(at the request's timeout). Once the lock goes, Alice's answer comes, with her deal.
"""

from __future__ import annotations

import threading
import urllib.error

import psycopg2
import pytest

from dealcoach.storage import open_store, owner_id
from testkit.loopback import LoopbackServers, http
from tests.services.postgres import postgres_cluster  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow

#: Seconds a request may take before the test gives up on it: a guard against hanging,
#: far above an action's time on this machine, not a measurement.
PATIENCE = 120


def list_deals_call(sender: str) -> dict:
    """The request Rasa sends the action server for "my deals" over the REST channel."""
    message = {"intent": {"name": "list_deals"}, "entities": [], "text": "my deals"}
    return {
        "next_action": "action_list_deals",
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": message,
            "events": [
                {
                    "event": "user",
                    "text": "my deals",
                    "input_channel": "rest",
                    "parse_data": message,
                }
            ],  # fmt: skip
            "paused": False,
            "active_loop": {},
        },
        "domain": {},
    }


def texts(answer: dict) -> str:
    return "\n".join(r.get("text") or r.get("response") or "" for r in answer["responses"])


@pytest.fixture(scope="module")
def action_server(postgres_cluster, tmp_path_factory):  # noqa: F811
    url = postgres_cluster.create_database("loop")
    store = open_store(url)
    try:
        store.deals.open(owner_id("rest", "alice"), "Acme")
    finally:
        store.close()
    servers = LoopbackServers(tmp_path_factory.mktemp("loop"))
    servers.env["DEALCOACH_DATABASE_URL"] = url
    try:
        servers.start_actions()
        yield servers, url
    finally:
        servers.stop()
        postgres_cluster.drop_database(url)


def test_a_conversation_waiting_on_the_database_does_not_hold_up_another(action_server):
    servers, url = action_server
    webhook = f"http://127.0.0.1:{servers.action_port}/webhook"

    blocker = psycopg2.connect(url)  # another replica, in the middle of writing Alice's deal
    try:
        with blocker.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM deals WHERE owner = %s FOR UPDATE", [owner_id("rest", "alice")]
            )
            assert cursor.rowcount == 1

        alice: dict = {}
        waiting = threading.Thread(
            target=lambda: alice.update(http("POST", webhook, list_deals_call("alice"), PATIENCE))
        )
        waiting.start()
        # Alice's call has reached the lock once PostgreSQL shows a session waiting on it.
        with psycopg2.connect(url) as watcher, watcher.cursor() as cursor:
            for _ in range(600):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
                watcher.rollback()
                threading.Event().wait(0.1)
            else:
                pytest.fail("Alice's request never reached the locked row")
        watcher.close()

        try:
            bob = http("POST", webhook, list_deals_call("bob"), PATIENCE)
        except (urllib.error.URLError, TimeoutError) as error:
            pytest.fail(f"Bob waited behind Alice's locked row: {error}")
        assert [r.get("response") for r in bob["responses"]] == ["utter_no_deals"]
        assert waiting.is_alive() and not alice, "Alice's call did not wait for the lock"
    finally:
        blocker.rollback()
        blocker.close()

    waiting.join(PATIENCE)
    assert "Acme" in texts(alice)
