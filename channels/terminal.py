"""The terminal chat of ``make chat``: Rasa's agent in this process, no Rasa server at all.

Why not ``rasa shell``: its arrow-key menu took a typed answer for the first button,
its server listened on every interface, closing the terminal left its servers running,
and a wall of library warnings came before the first prompt. Here:

* the model runs in this process (Rasa's ``Agent``), so Rasa listens on no port; the
  action server, which the agent calls over HTTP, listens on 127.0.0.1 only;
* buttons are numbered lines; a number or an option's exact title sends its payload,
  anything else goes as typed (``dealcoach.serving.terminal``);
* Ctrl-C, Ctrl-D, ``/stop``, SIGHUP (the terminal closed), SIGTERM and the death of
  the parent (``make``) all end the chat and stop the action server
  (``dealcoach.serving.chat_processes``);
* the terminal shows only the chat's own lines: warnings, library logs and anything
  written to stderr go to ``var/chat.log``, the action server's output to
  ``var/actions.log``.

The conversation id is the login name (``$USER``), and the channel is called
``cmdline`` as ``rasa shell``'s was, so a salesperson's deals and review in progress
(owner ``cmdline:<login>``) are there again next time. ``DEALCOACH_DB``,
``DEALCOACH_TRACKER_DB``, ``DEALCOACH_MODEL`` and ``DEALCOACH_ACTION_PORT`` are
honoured as by ``make serve``.

Run it as ``python -m channels.terminal`` from the project root (``make chat`` does).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, TextIO

from dealcoach.serving.chat_processes import (
    ActionServer,
    die_with_parent,
    port_taken,
    port_taken_sentence,
    watch_parent,
)
from dealcoach.serving.serve import settings
from dealcoach.serving.terminal import (
    GOODBYE,
    LOADING,
    PROMPT,
    WELCOME,
    Option,
    is_stop,
    message_to_send,
    render_reply,
)
from dealcoach.settings import ROOT, VAR

#: The name ``rasa shell`` gave its channel: deal owners are ``cmdline:<login>``.
CHANNEL = "cmdline"
#: How long the action server may take to answer once the model is loaded.
ACTION_SERVER_WAIT = 180.0


class ChatEnded(BaseException):
    """SIGHUP, SIGTERM or the parent gone: unwind, stop what we started, exit.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` in a
    library swallows it."""


class Terminal:
    """The chat's own output, written to the terminal as it was when the chat began.

    Once the terminal is gone (SIGHUP), writes fail; they are dropped, so the chat
    still stops everything it started."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def write(self, text: str) -> None:
        with self.lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):
                pass

    def say(self, text: str) -> None:
        self.write(text + "\n")


class Dots:
    """One progress line: a dot every ``every`` seconds until ``done``."""

    def __init__(self, terminal: Terminal, text: str, every: float = 2.0) -> None:
        self.terminal = terminal
        self.every = every
        self.finished = threading.Event()
        terminal.write(text + "...")
        self.thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.finished.wait(self.every):
            self.terminal.write(".")

    def done(self, word: str) -> None:
        if not self.finished.is_set():
            self.finished.set()
            self.thread.join()
            self.terminal.say(" " + word)


def _send_logs_to(log: Path) -> None:
    """Warnings, library logs and stray stderr output go to ``log``, not the terminal."""
    handle = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(handle, 2)
    os.close(handle)
    sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="replace")
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_handler = logging.StreamHandler(sys.stderr)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    level = logging.getLevelName(os.environ.get("LOG_LEVEL", "WARNING").upper())
    root.setLevel(level if isinstance(level, int) else logging.WARNING)
    logging.captureWarnings(True)
    # The log is appended to by every chat: mark where this one begins.
    print(
        f"--- make chat started {time.strftime('%Y-%m-%d %H:%M:%S')}, pid {os.getpid()}",
        file=sys.stderr,
    )


class Conversation:
    """Rasa's agent, loaded in this process, and one salesperson's conversation."""

    def __init__(self, model: str, action_port: int, tracker_db: str, sender_id: str) -> None:
        # Imported here, after the logs were redirected: importing Rasa alone warns.
        from rasa.core.agent import load_agent
        from rasa.core.utils import AvailableEndpoints
        from rasa.utils.endpoints import EndpointConfig
        from rasa.utils.log_utils import configure_structlog

        # Rasa's structured logs print to stdout at DEBUG unless configured: send them
        # through the logging set up in _send_logs_to, at its level.
        configure_structlog(logging.getLogger().level)
        self.sender_id = sender_id
        self.loop = asyncio.new_event_loop()
        self.agent = self.loop.run_until_complete(
            load_agent(
                model_path=model,
                endpoints=AvailableEndpoints(
                    action=EndpointConfig(url=f"http://127.0.0.1:{action_port}/webhook"),
                    tracker_store=EndpointConfig(type="SQL", dialect="sqlite", db=tracker_db),
                ),
                loop=self.loop,
            )
        )

    def ready(self) -> bool:
        return self.agent.is_ready()

    def send(self, text: str) -> List[Dict[str, Any]]:
        """The bot's replies to one message."""
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        collected = CollectingOutputChannel()
        message = UserMessage(text, collected, self.sender_id, input_channel=CHANNEL)
        self.loop.run_until_complete(self.agent.handle_message(message))
        return list(collected.messages)


#: Set by the first Ctrl-C, SIGHUP or SIGTERM (or the start of the clean-up): later
#: ones are ignored, so that nothing cuts the clean-up short.
_ENDING = threading.Event()


def _end_once(signum: int, frame: Any) -> None:
    if _ENDING.is_set():
        return
    _ENDING.set()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise ChatEnded(signal.Signals(signum).name)


def _chat(conversation: Conversation, terminal: Terminal, read: Any) -> None:
    """Read, send, show: until Ctrl-D or /stop (Ctrl-C and signals unwind from here)."""
    options: List[Option] = []
    hinted = False
    while True:
        if _ENDING.is_set():
            raise ChatEnded("asked to stop")
        try:
            typed = read(PROMPT)
        except EOFError:
            terminal.say("")
            return
        if is_stop(typed):
            return
        if not typed.strip():
            continue
        replies = conversation.send(message_to_send(typed, options))
        text, options = render_reply(replies, with_hint=not hinted)
        hinted = hinted or bool(options)
        if text:
            terminal.say(text)


def main() -> int:
    terminal = Terminal(sys.stdout)
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, _end_once)
    conf = settings()
    action_port = int(conf["action_port"])
    model = conf["model"]
    if not Path(model).is_file():
        terminal.say(f"dealcoach: no trained model at {model}; run `make train` first.")
        return 1
    if port_taken(action_port):
        terminal.say(port_taken_sentence(action_port))
        return 1

    # The parent (make) gone means the terminal session is over: stop like on SIGHUP.
    parent = os.getppid()
    die_with_parent(signal.SIGTERM)
    # Conversations (var/tracker.db) and logs: readable by their owner only.
    os.umask(0o077)
    var = VAR
    var.mkdir(exist_ok=True)
    for name, value in (
        ("RASA_TELEMETRY_ENABLED", "false"),
        ("TF_CPP_MIN_LOG_LEVEL", "2"),
        ("SQLALCHEMY_SILENCE_UBER_WARNING", "1"),
    ):
        os.environ.setdefault(name, value)
    _send_logs_to(var / "chat.log")
    actions = ActionServer(action_port, var / "actions.log", ROOT, dict(os.environ))
    dots: Optional[Dots] = None
    try:
        # Started before any thread of ours: the child is set up between fork and exec.
        actions.start()
        watch_parent(parent, lambda: os.kill(os.getpid(), signal.SIGTERM))
        dots = Dots(terminal, LOADING)
        conversation = Conversation(model, action_port, conf["tracker_db"], _login())
        if not conversation.ready():
            dots.done("failed.")
            terminal.say(f"dealcoach: the model at {model} did not load; see var/chat.log.")
            return 1
        deadline = time.monotonic() + ACTION_SERVER_WAIT
        while not actions.ready():
            if actions.exited() or time.monotonic() > deadline:
                dots.done("failed.")
                terminal.say("dealcoach: the action server did not start; see var/actions.log.")
                return 1
            time.sleep(0.2)
        if _ENDING.is_set():
            # A Ctrl-C (or SIGTERM) during loading that a library caught and dropped:
            # the request to stop still stands.
            raise ChatEnded("asked to stop while loading")
        dots.done("ready.")
        terminal.say(WELCOME)
        try:
            import readline  # noqa: F401 (line editing and history for input())
        except ImportError:
            pass
        _chat(conversation, terminal, input)
        _ENDING.set()
        terminal.say(GOODBYE)
        return 0
    except BaseException as error:
        # Asked to stop (Ctrl-C, SIGHUP, SIGTERM, parent gone): whatever the request
        # interrupted may surface as another exception (a C extension's import fails
        # with ImportError when Ctrl-C comes during it), so the request decides.
        stopping = _ENDING.is_set() or isinstance(error, KeyboardInterrupt | ChatEnded)
        _ENDING.set()
        if dots is not None:
            dots.finished.set()
        logging.getLogger(__name__).log(
            logging.INFO if stopping else logging.ERROR, "chat ended by %r", error,
            exc_info=not stopping,
        )  # fmt: skip
        if stopping:
            terminal.say("\n" + GOODBYE)
            return 0
        terminal.say(f"\ndealcoach stopped on an error ({error}); details in var/chat.log.")
        return 1
    finally:
        _ENDING.set()
        actions.stop()


def _login() -> str:
    """The conversation id: the login name, as ``rasa shell --conversation-id $USER``."""
    return os.environ.get("USER") or "me"


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    # Everything we started is stopped; do not wait for threads a library left running.
    os._exit(status)
