"""'Cannot reach memory': PostgreSQL stopped under a conversation, then started again.

Rasa runs on the team endpoints (deploy/endpoints.team.yml: conversations in
PostgreSQL, turns in Redis) and the action server on the deal store in PostgreSQL,
each database on a cluster of its own, so that one can be stopped while the other
runs; Redis is stopped and started again on its port. While a store is down the
salesperson gets the one sentence of ``utter_memory_unavailable`` (domain.yml),
nothing of that message is stored, and once the server is back the same
conversation goes on, each fact stored once.
"""

from __future__ import annotations

import json

import psycopg2
import pytest

from dealcoach.storage import open_store, owner_id
from testkit.team import team_environment
from tests.conftest import MODEL, ROOT
from tests.e2e.servers import Servers
from tests.services.postgres import PostgresCluster
from tests.services.redis import RedisServer

pytestmark = pytest.mark.slow

UNREACHABLE = "can't reach my memory"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    work = tmp_path_factory.mktemp("memory-down")
    deals_cluster, tracker_cluster = PostgresCluster(), PostgresCluster()
    redis_server = RedisServer(work / "redis")
    servers = Servers(work)
    try:
        deals_cluster.start()
        tracker_cluster.start()
        redis_server.start()
        deals_url = deals_cluster.create_database("deals")
        tracker_url = tracker_cluster.create_database("tracker")
        servers.env.update(
            team_environment(
                deals_url=deals_url,
                tracker_url=tracker_url,
                redis_port=redis_server.port,
                action_url=f"http://127.0.0.1:{servers.action_port}/webhook",
            )
        )
        servers.endpoints = ROOT / "deploy" / "endpoints.team.yml"
        servers.start_actions()
        servers.start_rasa()
        yield {"servers": servers, "deals": deals_cluster, "tracker": tracker_cluster,
               "deals_url": deals_url, "tracker_url": tracker_url,
               "redis": redis_server}  # fmt: skip
    finally:
        servers.stop()
        redis_server.stop()
        deals_cluster.stop()
        tracker_cluster.stop()


def employee_changes(deals_url: str, sender: str, company: str) -> list:
    """Every stored change of the deal's employee count, oldest first."""
    store = open_store(deals_url)
    try:
        owner = owner_id("rest", sender)
        deal = store.deals.get(owner, company)
        if deal is None:
            return []
        return [c.new for c in store.history.fact_changes(owner, deal.id) if c.fact == "employees"]
    finally:
        store.close()


def test_deal_store_down_says_so_stores_nothing_and_carries_on_when_back(stack):
    servers, me = stack["servers"], "rep-deals-down"
    servers.say(me, "new deal: Brightwater")
    assert "Noted: sector: robotics" in servers.say(me, "it's a robotics company")

    stack["deals"].stop_server()
    try:
        assert UNREACHABLE in servers.say(me, "they have about 300 employees")
        assert UNREACHABLE in servers.say(me, "brief me on Brightwater")
    finally:
        stack["deals"].start_server()
    assert employee_changes(stack["deals_url"], me, "Brightwater") == []

    assert "300 employees" in servers.say(me, "they have about 300 employees")
    assert employee_changes(stack["deals_url"], me, "Brightwater") == ["300"]
    assert "Brightwater" in servers.say(me, "brief me on Brightwater")


def test_tracker_store_down_says_so_stores_nothing_and_carries_on_when_back(stack):
    servers, me = stack["servers"], "rep-tracker-down"
    servers.say(me, "new deal: Lakeside")
    assert "Noted: sector: robotics" in servers.say(me, "it's a robotics company")

    stack["tracker"].stop_server()
    marks = servers.log_marks()
    try:
        assert servers.say(me, "they have about 300 employees") == (
            "I can't reach my memory (the deal store) right now. Please try again in a "
            "minute; what you confirmed before is safe."
        )
    finally:
        stack["tracker"].start_server()
    rasa_log = servers.logs_since(marks)["rasa"]
    assert "a store is unreachable" in rasa_log
    assert employee_changes(stack["deals_url"], me, "Lakeside") == []

    # The conversation from before the outage goes on: the review of Lakeside.
    assert "300 employees" in servers.say(me, "they have about 300 employees")
    assert employee_changes(stack["deals_url"], me, "Lakeside") == ["300"]


def user_messages(tracker_url: str, sender: str) -> list:
    """The texts of the conversation's user messages, as the tracker store holds them."""
    with psycopg2.connect(tracker_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id",
            [sender],
        )
        rows = cursor.fetchall()
    connection.close()
    return [json.loads(data).get("text") for (data,) in rows]


def test_lock_store_down_says_so_handles_nothing_and_carries_on_when_back(stack):
    servers, me = stack["servers"], "rep-redis-down"
    servers.say(me, "new deal: Redmoor")
    assert "Noted: sector: robotics" in servers.say(me, "it's a robotics company")
    before = user_messages(stack["tracker_url"], me)

    stack["redis"].stop_server()
    marks = servers.log_marks()
    try:
        # Without Redis no turn can be taken: the message is not handled at all.
        assert UNREACHABLE in servers.say(me, "they have about 300 employees")
        assert UNREACHABLE in servers.say(me, "brief me on Redmoor")
    finally:
        stack["redis"].start_server()
    assert "a store is unreachable" in servers.logs_since(marks)["rasa"]
    assert user_messages(stack["tracker_url"], me) == before
    assert employee_changes(stack["deals_url"], me, "Redmoor") == []

    # Redis came back empty (it keeps nothing on disk): the review goes on.
    assert "300 employees" in servers.say(me, "they have about 300 employees")
    assert employee_changes(stack["deals_url"], me, "Redmoor") == ["300"]
    assert user_messages(stack["tracker_url"], me)[len(before) :] == [
        "they have about 300 employees"
    ]
