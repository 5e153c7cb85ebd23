"""deploy/endpoints.team.yml is read by Rasa's own reader and builds our two stores.

Rasa's factories (``LockStore.create``, ``TrackerStore.create``) build the stores as
``rasa run`` does. The lock store runs on the test's throwaway Redis; the tracker
store is pointed at a PostgreSQL address where nothing listens, which shows that the
file's settings reach our class (a real PostgreSQL run belongs with the topology).
"""

from __future__ import annotations

import re

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.exceptions import ConnectionException, RasaException

from rasa_stores.redis_lock_store import AtomicRedisLockStore
from testkit.loopback import free_port
from tests.conftest import ROOT

TEAM_ENDPOINTS = ROOT / "deploy" / "endpoints.team.yml"


def file_variables(text: str) -> set:
    return set(re.findall(r"\$\{(\w+)\}", text))


@pytest.fixture
def team_environment(monkeypatch, redis_settings):
    values = {
        "DEALCOACH_ACTION_URL": "http://127.0.0.1:5055/webhook",
        "DEALCOACH_TRACKER_DB_HOST": "127.0.0.1",
        "DEALCOACH_TRACKER_DB_PORT": str(free_port()),
        "DEALCOACH_TRACKER_DB_NAME": "rasa",
        "DEALCOACH_TRACKER_DB_USER": "rasa",
        "DEALCOACH_TRACKER_DB_PASSWORD": "",
        "DEALCOACH_REDIS_HOST": redis_settings["host"],
        "DEALCOACH_REDIS_PORT": str(redis_settings["port"]),
        "DEALCOACH_REDIS_DB": str(redis_settings["db"]),
        "DEALCOACH_REDIS_PASSWORD": "",
    }
    assert set(values) == file_variables(TEAM_ENDPOINTS.read_text())
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_rasa_builds_the_lock_store_of_the_team_endpoints(team_environment, redis_server):
    endpoints = AvailableEndpoints.read_endpoints(str(TEAM_ENDPOINTS))
    assert endpoints.action.url == team_environment["DEALCOACH_ACTION_URL"]

    store = LockStore.create(endpoints.lock_store)
    assert isinstance(store, AtomicRedisLockStore)
    ticket = store.issue_ticket("anna")
    assert store.get_lock("anna").now_serving == ticket
    keys = {k.decode() for k in redis_server.client(db=1).keys("*")}
    assert keys == {
        "dealcoach:lock:anna:queue",
        "dealcoach:lock:anna:expiry",
        "dealcoach:lock:ticket_counter",
    }


def test_rasa_builds_the_tracker_store_of_the_team_endpoints(team_environment):
    endpoints = AvailableEndpoints.read_endpoints(str(TEAM_ENDPOINTS))
    config = endpoints.tracker_store
    assert config.type == "rasa_stores.sql_tracker_store.StrictSQLTrackerStore"
    assert config.kwargs["dialect"] == "postgresql"
    assert (config.kwargs["pool_size"], config.kwargs["max_overflow"]) == (5, 5)

    config.kwargs["startup_wait"] = 0  # the file's 60 s, shortened for a database that is not there
    port = team_environment["DEALCOACH_TRACKER_DB_PORT"]
    with pytest.raises(ConnectionException, match=f"Cannot connect to tracker store.*port {port}"):
        TrackerStore.create(config)


def test_an_unset_variable_is_named(team_environment, monkeypatch):
    monkeypatch.delenv("DEALCOACH_REDIS_HOST")
    with pytest.raises(RasaException, match="DEALCOACH_REDIS_HOST"):
        AvailableEndpoints.read_endpoints(str(TEAM_ENDPOINTS))


def test_the_readme_lists_every_variable_of_the_team_endpoints():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Rasa's stores for a team", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(DEALCOACH_\w+)`", section))
    assert file_variables(TEAM_ENDPOINTS.read_text()) <= documented
