"""A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl in a temporary
directory, listening on a free loopback port, removed at the end.

Debian's server binaries (``/usr/lib/postgresql/<version>/bin``) are used; ``make
test`` installs the ``postgresql`` package when they are missing and it runs as root.
PostgreSQL refuses to run as root, so under root the cluster belongs to the
unprivileged ``postgres`` user (its directory is handed over to it). The cluster
trusts connections from loopback only, which is safe for a cluster that lives as
long as one test session and holds nothing but test data.

One cluster per test session (the ``postgres_cluster`` fixture; import it into a test
module, or ask for it with ``request.getfixturevalue``), a fresh database per test or
module (``PostgresCluster.create_database``). Later work (Rasa's tracker store, a
replica topology) starts its databases here too.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest

#: Where Debian puts each installed major version's server binaries.
BINARY_GLOB = "/usr/lib/postgresql/*/bin"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def server_binaries() -> Path:
    """The newest installed PostgreSQL's binary directory; ``PostgresUnavailable``
    with what to do when there is none."""
    found = [Path(d) for d in glob.glob(BINARY_GLOB) if (Path(d) / "initdb").is_file()]
    if not found:
        raise PostgresUnavailable(
            "PostgreSQL's server binaries are not installed (no initdb under "
            f"{BINARY_GLOB}): the deal store's PostgreSQL tests need them. Install "
            "Debian's postgresql package ('sudo apt-get install postgresql'; make test "
            "does it when run as root)."
        )
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """One PostgreSQL server of its own, on 127.0.0.1:``port``, superuser ``postgres``."""

    def __init__(self) -> None:
        self.bin = server_binaries()
        self.workdir = Path(tempfile.mkdtemp(prefix="dealcoach-pg-"))
        self.data = self.workdir / "data"
        self.log = self.workdir / "server.log"
        self.port = 0
        # PostgreSQL will not run as root: hand the cluster to the postgres user.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [str(self.bin / command[0]), *command[1:]],
            cwd=self.workdir,
            user=self.user,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            server_log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command[:2])} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{server_log[-2000:]}"
            )

    def start(self) -> PostgresCluster:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        # A free port can be taken between asking and listening: try a few.
        for attempt in range(3):
            self.port = free_port()
            try:
                self.start_server()
                return self
            except RuntimeError:
                if attempt == 2:
                    raise
        return self

    def start_server(self) -> None:
        """Start the server of the initialised cluster, on ``port``, and wait for it."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories='{self.workdir}' "
            # A test cluster: crash safety is not needed, speed is.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w",
                  "-o", options, "start")  # fmt: skip

    def stop_server(self) -> None:
        """Stop the server, keeping the cluster (fault tests start it again with
        ``start_server``, on the same port): open connections are cut, as when a
        database server goes down."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        if self.data.exists():
            with_server = (self.data / "postmaster.pid").exists()
            if with_server:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> List[tuple]:
        """Run one statement as the superuser on the ``postgres`` database (autocommit)."""
        import psycopg2

        connection = psycopg2.connect(self.url())
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The test session's PostgreSQL; a missing PostgreSQL fails the tests, never skips."""
    try:
        cluster = PostgresCluster()
    except PostgresUnavailable as missing:
        pytest.fail(str(missing), pytrace=False)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh database of the session's cluster, dropped after the test."""
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url)
