"""The team topology's settings, and (``TeamTopology``) the topology itself on loopback.

``deploy/endpoints.team.yml`` and ``deploy/haproxy.cfg`` take everything that differs
between deployments from environment variables; ``team_environment`` gives those
variables for databases and servers on this machine, so the tests, ``make bench`` and
``make serve-team`` run the very files a real deployment uses.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence, Tuple
from urllib.parse import urlsplit

from dealcoach.serving.serve import credentials_text
from dealcoach.settings import ROOT
from testkit.loopback import (
    DEFAULT_MODEL,
    RASA,
    free_port,
    rasa_env,
    spawn,
    stop_process,
    wait_until_answers,
)

#: Seconds a replica may take over one message before Sanic cancels it (its default, 60,
#: with `rasa run` without --enable-api). A message may first wait up to
#: TICKET_LOCK_LIFETIME (60 s) for the turn of a replica that died mid-message, and
#: only then be handled: under 60 s it would be cut off just as its turn came.
REPLICA_RESPONSE_TIMEOUT = 180


def team_environment(
    deals_url: str, tracker_url: str, redis_port: int, action_url: str, redis_db: int = 0
) -> Dict[str, str]:
    """The variables of deploy/endpoints.team.yml and of the deal store's database."""
    tracker = urlsplit(tracker_url)
    return {
        "DEALCOACH_DATABASE_URL": deals_url,
        "DEALCOACH_ACTION_URL": action_url,
        "DEALCOACH_TRACKER_DB_HOST": tracker.hostname or "127.0.0.1",
        "DEALCOACH_TRACKER_DB_PORT": str(tracker.port or 5432),
        "DEALCOACH_TRACKER_DB_NAME": tracker.path.lstrip("/"),
        "DEALCOACH_TRACKER_DB_USER": tracker.username or "",
        "DEALCOACH_TRACKER_DB_PASSWORD": tracker.password or "",
        "DEALCOACH_REDIS_HOST": "127.0.0.1",
        "DEALCOACH_REDIS_PORT": str(redis_port),
        "DEALCOACH_REDIS_DB": str(redis_db),
        "DEALCOACH_REDIS_PASSWORD": "",
        # Sanic reads SANIC_* variables into its configuration.
        "SANIC_RESPONSE_TIMEOUT": str(REPLICA_RESPONSE_TIMEOUT),
    }


# --- the topology on loopback ---------------------------------------------------------

#: The files a real deployment uses too.
TEAM_ENDPOINTS = ROOT / "deploy" / "endpoints.team.yml"
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
#: Where the server lists go in deploy/haproxy.cfg.
RASA_SERVERS_MARK = "    # servers: rasa"
ACTION_SERVERS_MARK = "    # servers: actions"


def haproxy_config(rasa: Sequence[Tuple[str, str]], actions: Sequence[Tuple[str, str]]) -> str:
    """deploy/haproxy.cfg with these servers ((name, host:port) each) under its marks:
    Rasa replicas with their sticky cookie value and health checks, action servers with
    health checks."""
    text = HAPROXY_CONFIG.read_text()
    rasa_lines = [f"    server {name} {address} check cookie {name}" for name, address in rasa]
    action_lines = [f"    server {name} {address} check" for name, address in actions]
    for mark, lines in ((RASA_SERVERS_MARK, rasa_lines), (ACTION_SERVERS_MARK, action_lines)):
        if mark not in text:
            raise ValueError(f"{HAPROXY_CONFIG} lost its line {mark.strip()!r}")
        text = text.replace(mark, "\n".join([mark, *lines]))
    return text


#: The servers of deploy/docker-compose.yml, as deploy/haproxy.compose.cfg names them.
COMPOSE_RASA = (("rasa1", "rasa1:5005"), ("rasa2", "rasa2:5005"))
COMPOSE_ACTIONS = (("actions1", "actions1:5055"), ("actions2", "actions2:5055"))
COMPOSE_HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.compose.cfg"


def compose_haproxy_config() -> str:
    """What deploy/haproxy.compose.cfg must hold (``python -m testkit.team --write-compose``
    writes it; a test checks it is current)."""
    header = (
        "# GENERATED from deploy/haproxy.cfg with the servers of deploy/docker-compose.yml\n"
        "# by `python -m testkit.team --write-compose`; edit deploy/haproxy.cfg instead.\n"
    )
    return header + haproxy_config(COMPOSE_RASA, COMPOSE_ACTIONS)


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if not found:
        raise RuntimeError(
            "haproxy is not installed: run `make haproxy` as root (it installs Debian's "
            "haproxy) or `sudo apt-get install haproxy`"
        )
    return found


class TeamTopology:
    """PostgreSQL, Redis, ``replicas`` Rasa servers, ``action_servers`` action servers and
    HAProxy in front of each group, all on 127.0.0.1, under ``workdir``.

    PostgreSQL and Redis are the tests' throwaway servers (tests/services/): their data
    lives as long as the topology. Each process logs to ``workdir/<name>.log``.
    ``rasa_port`` is HAProxy's front door for clients, ``action_port`` the action
    servers' shared address the replicas call.
    """

    def __init__(
        self,
        workdir: Path,
        replicas: int = 2,
        action_servers: int = 2,
        model: Path | str = DEFAULT_MODEL,
        rasa_port: int | None = None,
        extra_env: Dict[str, str] | None = None,
    ) -> None:
        from tests.services.postgres import PostgresCluster
        from tests.services.redis import RedisServer

        if replicas < 1 or action_servers < 1:
            raise ValueError("a topology needs at least one Rasa replica and one action server")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.model = Path(model)
        self.postgres = PostgresCluster()
        self.redis = RedisServer(self.workdir / "redis")
        self.rasa_port = rasa_port or free_port()
        self.action_port = free_port()
        self.replica_ports = {f"rasa{i}": free_port() for i in range(1, replicas + 1)}
        self.action_ports = {f"actions{i}": free_port() for i in range(1, action_servers + 1)}
        self.extra_env = dict(extra_env or {})
        self.env: Dict[str, str] = {}
        self.processes: Dict[str, subprocess.Popen] = {}
        self.credentials = self.workdir / "credentials.yml"
        self.haproxy_cfg = self.workdir / "haproxy.cfg"
        self.deals_url = self.tracker_url = ""

    @property
    def url(self) -> str:
        """Where clients reach Rasa: HAProxy."""
        return f"http://127.0.0.1:{self.rasa_port}"

    def replica_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.replica_ports[name]}"

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    # --- start and stop -------------------------------------------------------------------

    def start_all(self) -> TeamTopology:
        """Everything, in dependency order; returns once HAProxy answers through a replica."""
        try:
            self.postgres.start()
            self.redis.start()
            self.deals_url = self.postgres.create_database("dealcoach")
            self.tracker_url = self.postgres.create_database("rasa")
            self.env = rasa_env(
                DEALCOACH_HOST="127.0.0.1",
                DEALCOACH_RASA_PORT=str(self.rasa_port),
                DEALCOACH_ACTION_PORT=str(self.action_port),
                **team_environment(
                    deals_url=self.deals_url,
                    tracker_url=self.tracker_url,
                    redis_port=self.redis.port,
                    action_url=f"http://127.0.0.1:{self.action_port}/webhook",
                ),
                **self.extra_env,
            )
            self.credentials.write_text(credentials_text(with_slack=False))
            self.haproxy_cfg.write_text(
                haproxy_config(
                    [(n, f"127.0.0.1:{p}") for n, p in self.replica_ports.items()],
                    [(n, f"127.0.0.1:{p}") for n, p in self.action_ports.items()],
                )
            )
            self.start_haproxy()
            # Action servers first (the replicas call them), then the replicas; each
            # group started together and waited for together (loading is mostly one
            # core's work per process).
            for name in self.action_ports:
                self.spawn_action_server(name)
            for name in self.action_ports:
                self.wait_for(name)
            for name in self.replica_ports:
                self.spawn_replica(name)
            for name in self.replica_ports:
                self.wait_for(name)
            wait_until_answers(
                f"{self.url}/", self.processes["haproxy"], 60, where=str(self.workdir)
            )
            return self
        except BaseException:
            self.stop()
            raise

    def start_haproxy(self) -> None:
        self.processes["haproxy"] = spawn(
            [haproxy_binary(), "-db", "-f", str(self.haproxy_cfg)],
            ROOT, self.env, self.log_path("haproxy"),
        )  # fmt: skip

    def spawn_action_server(self, name: str) -> None:
        port = self.action_ports[name]
        self.processes[name] = spawn(
            [RASA, "run", "actions", "--port", str(port), "--actions", "actions"],
            ROOT, self.env, self.log_path(name),
        )  # fmt: skip

    def spawn_replica(self, name: str) -> None:
        command = [
            RASA, "run", "--model", str(self.model), "--endpoints", str(TEAM_ENDPOINTS),
            "--credentials", str(self.credentials), "--interface", "127.0.0.1",
            "--port", str(self.replica_ports[name]),
        ]  # fmt: skip
        self.processes[name] = spawn(command, ROOT, self.env, self.log_path(name))

    def health_url(self, name: str) -> str:
        if name in self.action_ports:
            return f"http://127.0.0.1:{self.action_ports[name]}/health"
        return f"{self.replica_url(name)}/"

    def wait_for(self, name: str, timeout: float = 600) -> None:
        """Until the process answers its health check (Rasa: once its model is loaded)."""
        process = self.processes[name]
        wait_until_answers(self.health_url(name), process, timeout, where=str(self.log_path(name)))

    def start(self, name: str) -> None:
        """(Re)start one replica or action server and wait until it answers."""
        if name in self.action_ports:
            self.spawn_action_server(name)
        else:
            self.spawn_replica(name)
        self.wait_for(name)

    def kill(self, name: str) -> None:
        """SIGKILL one process (a replica, an action server): it dies at once."""
        stop_process(self.processes.get(name), signal.SIGKILL)

    def holder_of_connection(self, local_port: int) -> str | None:
        """Which of our processes (or its children) has a TCP socket on ``local_port`` of
        127.0.0.1: the action server behind a PostgreSQL session (its ``client_port``).
        Read from /proc (Linux), as ``ss -p`` would."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                    inodes.add(f"socket:[{fields[9]}]")
        for name, process in self.processes.items():
            for pid in process_group(process.pid):
                try:
                    fds = list(Path(f"/proc/{pid}/fd").iterdir())
                except OSError:
                    continue
                for fd in fds:
                    try:
                        if os.readlink(fd) in inodes:
                            return name
                    except OSError:
                        continue
        return None

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            stop_process(self.processes[name])
        self.processes.clear()
        self.redis.stop()
        self.postgres.stop()

    def where(self) -> str:
        """What runs where, as `make serve-team` says it at start."""
        deals_db = self.deals_url.rsplit("/", 1)[-1]
        tracker_db = self.tracker_url.rsplit("/", 1)[-1]
        lines = [
            f"HAProxy        {self.url}  (clients: REST, socket.io; sticky cookie)",
            f"HAProxy        127.0.0.1:{self.action_port}  (the action servers, for the replicas)",
        ]
        for name, port in self.replica_ports.items():
            lines.append(f"{name:<14} 127.0.0.1:{port}  (Rasa, deploy/endpoints.team.yml)")
        for name, port in self.action_ports.items():
            lines.append(f"{name:<14} 127.0.0.1:{port}  (action server)")
        lines.append(
            f"PostgreSQL     127.0.0.1:{self.postgres.port}  "
            f"(deals in {deals_db}, conversations in {tracker_db})"
        )
        lines.append(f"Redis          127.0.0.1:{self.redis.port}  (lock store)")
        lines.append(f"Logs           {self.workdir}/<name>.log")
        return "\n".join(lines)


def process_group(group: int) -> List[int]:
    """The ids of the processes in process group ``group`` (a server and its children)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command's closing parenthesis: state, ppid, pgrp, ...
        if int(stat.rsplit(")", 1)[1].split()[2]) == group:
            members.append(int(entry.name))
    return members


def main(argv: Sequence[str] | None = None) -> int:
    """`make serve-team`: the whole topology on loopback, until Ctrl-C (or SIGTERM)."""
    import argparse
    import tempfile
    import threading

    parser = argparse.ArgumentParser(
        prog="make serve-team",
        description="PostgreSQL, Redis, N Rasa replicas and M action servers behind "
        "HAProxy, all on 127.0.0.1, for a try-out (the databases are thrown away at exit).",
    )
    parser.add_argument("--replicas", type=int, default=2, help="Rasa replicas (2)")
    parser.add_argument("--action-servers", type=int, default=2, help="action servers (2)")
    parser.add_argument("--port", type=int, default=0, help="HAProxy's port for clients (free)")
    parser.add_argument(
        "--write-compose", action="store_true", help="write deploy/haproxy.compose.cfg and stop"
    )
    args = parser.parse_args(argv)
    if args.write_compose:
        COMPOSE_HAPROXY_CONFIG.write_text(compose_haproxy_config())
        print(f"Written: {COMPOSE_HAPROXY_CONFIG}")
        return 0

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    workdir = Path(tempfile.mkdtemp(prefix="dealcoach-team-"))
    topology = TeamTopology(
        workdir, args.replicas, args.action_servers, rasa_port=args.port or None
    )
    print(
        f"Starting {args.replicas} Rasa replica(s) and {args.action_servers} action "
        "server(s) behind HAProxy, with PostgreSQL and Redis (a few minutes)...",
        flush=True,
    )
    topology.start_all()
    try:
        print(topology.where(), flush=True)
        print(f"Ready: {topology.url}/webhooks/rest/webhook. Ctrl-C stops everything.", flush=True)
        while not stopping.wait(1):
            for name, process in topology.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited ({process.returncode}); see {topology.log_path(name)}")
                    stopping.set()
                    break
    finally:
        topology.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
