"""The deployment files cannot drift from the tested topology.

Containers cannot be pulled or run on these machines, so deploy/docker-compose.yml is
checked, not run: it parses, names the services and ports deploy/haproxy.compose.cfg
sends to, gives every variable of deploy/endpoints.team.yml, and that HAProxy file is
deploy/haproxy.cfg with the compose servers, as generated. HAProxy itself checks both
its configurations (``haproxy -c``), the loopback one as ``make serve-team`` writes it.
"""

from __future__ import annotations

import os
import re
import subprocess

import yaml

from testkit.team import (
    COMPOSE_ACTIONS,
    COMPOSE_HAPROXY_CONFIG,
    COMPOSE_RASA,
    REPLICA_RESPONSE_TIMEOUT,
    TEAM_ENDPOINTS,
    compose_haproxy_config,
    haproxy_binary,
    haproxy_config,
)
from tests.conftest import ROOT

COMPOSE = ROOT / "deploy" / "docker-compose.yml"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def haproxy_check(path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [haproxy_binary(), "-c", "-f", str(path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )


def test_the_compose_haproxy_config_is_the_generated_one():
    assert (
        COMPOSE_HAPROXY_CONFIG.read_text() == compose_haproxy_config()
    ), "deploy/haproxy.compose.cfg is out of date: run `python -m testkit.team --write-compose`"


def test_the_compose_file_runs_the_servers_haproxy_names_on_their_ports():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "haproxy"} | {
        name for name, _ in COMPOSE_RASA + COMPOSE_ACTIONS
    }
    for name, address in COMPOSE_RASA:
        command = services[name]["command"]
        assert "--endpoints deploy/endpoints.team.yml" in command
        assert f"--port {address.split(':')[1]}" in command
    for name, address in COMPOSE_ACTIONS:
        assert f"--port {address.split(':')[1]}" in services[name]["command"]
    haproxy = services["haproxy"]
    assert haproxy["ports"] == [f"{haproxy['environment']['DEALCOACH_RASA_PORT']}:5005"]
    assert "./haproxy.compose.cfg:" in haproxy["volumes"][0]


def test_the_compose_file_gives_every_variable_of_the_team_endpoints():
    needed = set(re.findall(r"\$\{(\w+)\}", TEAM_ENDPOINTS.read_text()))
    services = compose()["services"]
    for name, _ in COMPOSE_RASA + COMPOSE_ACTIONS:
        assert needed <= set(services[name]["environment"]), name
        assert services[name]["environment"]["SANIC_RESPONSE_TIMEOUT"] == str(
            REPLICA_RESPONSE_TIMEOUT
        )
        assert services[name]["environment"]["DEALCOACH_ACTION_URL"] == (
            f"http://haproxy:{services['haproxy']['environment']['DEALCOACH_ACTION_PORT']}/webhook"
        )


def test_haproxy_accepts_both_configurations(tmp_path):
    loopback = tmp_path / "haproxy.cfg"
    loopback.write_text(
        haproxy_config(
            [("rasa1", "127.0.0.1:1"), ("rasa2", "127.0.0.1:2")], [("actions1", "127.0.0.1:3")]
        )  # fmt: skip
    )
    ports = {
        "DEALCOACH_HOST": "127.0.0.1",
        "DEALCOACH_RASA_PORT": "1",
        "DEALCOACH_ACTION_PORT": "2",
    }
    checked = haproxy_check(loopback, **ports)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The compose names do not resolve here: HAProxy warns and starts them disabled.
    checked = haproxy_check(COMPOSE_HAPROXY_CONFIG, **ports)
    assert checked.returncode == 0, checked.stdout + checked.stderr
