"""`make chat` as a newcomer meets it, through a real pseudo-terminal (issue 15).

One conversation checks what the terminal shows before the first prompt, that typed
answers are taken as typed while buttons are shown and a number picks a button (read
back from the deal store's SQLite file), and which sockets listen while it runs. Then
each way of ending it (Ctrl-C, Ctrl-D, /stop, the terminal closed, the parent killed)
must leave no process and no listening port. Starting the chat loads the model (tens
of seconds), so the endings that need no prompt happen while it loads.

`make` runs with `-o` on the virtualenv and the model: these tests are about the chat,
never a reinstall or a training run (`make test` has done both before pytest).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from dealcoach.serving.chat_processes import port_taken
from dealcoach.serving.cli import export
from dealcoach.serving.terminal import PROMPT, WELCOME
from dealcoach.settings import default
from dealcoach.storage import open_store
from testkit.loopback import free_port
from tests.conftest import MODEL, ROOT

pexpect = pytest.importorskip("pexpect")

pytestmark = [pytest.mark.model, pytest.mark.slow]

VENV = Path(sys.executable).parent.parent
START_TIMEOUT = 400  # model load on two busy cores, with a margin
OPTION = re.compile(r"^\s+(\d+)\. (.+?)\s*$")
DEAL_FACTS = (
    "sector", "company_size", "employees", "purchase_situation", "supplier_position",
    "buying_stage", "perceived_risk",
)  # fmt: skip


class Chat:
    """`make chat` in a pseudo-terminal, with its own deal store and action port."""

    def __init__(self, tmp_path: Path, user: str, action_port: int | None = None) -> None:
        self.user = user
        self.db = tmp_path / "deals.db"
        self.action_port = action_port or free_port()
        env = {
            **os.environ,
            "USER": user,
            "DEALCOACH_DB": str(self.db),
            "DEALCOACH_TRACKER_DB": str(tmp_path / "tracker.db"),
            "DEALCOACH_MODEL": str(MODEL),
            "DEALCOACH_ACTION_PORT": str(self.action_port),
        }
        args = [
            "--no-print-directory", "-o", f"{VENV}/.installed", "-o", default("model"),
            "chat", f"VENV={VENV}",
        ]  # fmt: skip
        self.child = pexpect.spawn(
            "make", args, cwd=str(ROOT), env=env, encoding="utf-8", codec_errors="replace",
            timeout=START_TIMEOUT, dimensions=(60, 200),
        )  # fmt: skip
        self.make_pid = self.child.pid

    def prompt(self) -> str:
        """Everything shown until the next prompt."""
        self.child.expect_exact(PROMPT)
        return self.child.before.replace("\r\n", "\n")

    def say(self, text: str) -> str:
        """Type a line; the chat's answer (without the echo of the line)."""
        self.child.sendline(text)
        shown = self.prompt()
        return shown.split("\n", 1)[1] if "\n" in shown else ""

    def processes(self) -> Set[int]:
        """make and everything it started, by walking /proc."""
        return {self.make_pid} | descendants(self.make_pid)

    def wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not port_taken(self.action_port):
            assert self.child.isalive(), self.child.before
            assert time.monotonic() < deadline, "the action server never listened"
            time.sleep(0.2)

    def deals(self) -> List[Dict]:
        store = open_store(self.db)
        out = io.StringIO()
        try:
            export(store, "json", f"cmdline:{self.user}", out)
        finally:
            store.close()
        return json.loads(out.getvalue())


def _ppids() -> Dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> Set[int]:
    parents = _ppids()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent's wait() has stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def listening_sockets(pids: Set[int]) -> List[Tuple[str, int]]:
    """(address, port) of every TCP socket these processes listen on."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                found.append((_address(address), int(port, 16)))
    return found


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def assert_all_stopped(chat: Chat, pids: Set[int]) -> None:
    """No process of the chat left (waiting generously for their clean-up) nor its port."""
    deadline = time.monotonic() + 90
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids if alive(pid)}
    assert not left, f"still running: {left}"
    assert not port_taken(chat.action_port), "the action port is still held"


@pytest.fixture
def chats():
    started: List[Chat] = []
    yield started
    for chat in started:  # whatever a failed test left
        for pid in chat.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            chat.child.close(force=True)
        except Exception:  # already reaped
            pass


def test_a_conversation_in_the_terminal(tmp_path, chats):
    chat = Chat(tmp_path, "test-chat-typed")
    chats.append(chat)
    before = chat.prompt()

    # A calm start: the loading line, the welcome and nothing else (no warnings, no logs).
    lines = [line.rstrip() for line in before.splitlines() if line.strip()]
    assert re.fullmatch(r"Loading the coach \(about 25 s\)\.+ ready\.", lines[0]), before
    assert lines[1:] == WELCOME.splitlines(), before

    # Loopback only: Rasa runs in the chat's process and listens nowhere; the action
    # server listens on 127.0.0.1.
    sockets = listening_sockets(chat.processes())
    assert sockets == [("127.0.0.1", chat.action_port)], sockets

    reply = chat.say("let's review the Nordstahl deal")
    options = [OPTION.match(line) for line in reply.splitlines()]
    options = [m.group(2) for m in options if m]
    assert len(options) >= 2, reply
    assert "own words" in reply

    # Typed while buttons are shown: stored as the facts it states, and nothing else.
    reply = chat.say("their plant manager Joost is sceptical, we haven't met him")
    assert "Joost" in reply, reply
    (deal,) = chat.deals()
    assert deal["company"] == "Nordstahl"
    assert {f: deal[f] for f in DEAL_FACTS} == dict.fromkeys(DEAL_FACTS), deal
    (joost,) = deal["stakeholders"]
    assert (joost["name"], joost["title"].replace("_", " "), joost["met"]) == (
        "Joost", "plant manager", False,
    )  # fmt: skip

    # "2" picks the second option of the question shown now: one fact is stored, and
    # the bot notes the option's title.
    options = [OPTION.match(line) for line in reply.splitlines()]
    options = [m.group(2) for m in options if m]
    assert len(options) >= 2, reply
    reply = chat.say("2")
    assert options[1].lower() in reply.lower(), (options, reply)
    (deal,) = chat.deals()
    assert sum(deal[f] is not None for f in DEAL_FACTS) == 1, deal

    pids = chat.processes()
    chat.child.sendline("/stop")
    chat.child.expect(pexpect.EOF)
    assert "Bye" in chat.child.before
    chat.child.wait()
    assert chat.child.exitstatus == 0
    assert_all_stopped(chat, pids)


@pytest.mark.parametrize(
    "ending", ["ctrl-c while loading", "parent killed while loading", "ctrl-d", "terminal closed"]
)
def test_every_way_of_ending_leaves_nothing_running(tmp_path, chats, ending):
    chat = Chat(tmp_path, "test-chat-ending")
    chats.append(chat)
    if ending.endswith("while loading"):
        chat.wait_until_listening()
    else:
        chat.prompt()
    pids = chat.processes()
    assert len(pids) >= 3, pids  # make, the chat, the action server

    if ending == "ctrl-c while loading":
        chat.child.sendintr()
        chat.child.expect(pexpect.EOF)
        # Whatever Ctrl-C interrupted (an import, the model), the chat just says goodbye.
        assert "Bye" in chat.child.before and "Traceback" not in chat.child.before
    elif ending == "parent killed while loading":
        os.kill(chat.make_pid, signal.SIGKILL)
    elif ending == "ctrl-d":
        chat.child.sendeof()
        chat.child.expect(pexpect.EOF)
        assert "Bye" in chat.child.before
    else:
        # The window closes: the pseudo-terminal's master side goes away (SIGHUP).
        chat.child.ptyproc.fileobj.close()
    assert_all_stopped(chat, pids - {chat.make_pid})
    chat.child.wait()
    assert_all_stopped(chat, pids)


def test_a_port_held_by_something_else_gets_one_sentence(tmp_path, chats):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        chat = Chat(tmp_path, "test-chat-port", action_port=port)
        chats.append(chat)
        chat.child.expect(pexpect.EOF, timeout=120)
        shown = chat.child.before.replace("\r\n", "\n")
    chat.child.wait()
    assert chat.child.exitstatus != 0
    assert "Traceback" not in shown
    lines = [line for line in shown.splitlines() if line.strip()]
    # Our sentence, then make's own line saying the recipe failed.
    # ("make[1]: ***" when make runs inside another make, as under `make test`)
    assert len(lines) == 2 and re.match(r"make(\[\d+\])?: \*\*\*", lines[1]), shown
    assert f"port {port} on 127.0.0.1" in lines[0] and f"ACTION_PORT={port + 1}" in lines[0]
