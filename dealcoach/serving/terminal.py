"""What the terminal chat (``make chat``) shows and what it sends: plain Python, no Rasa.

Rasa's own shell turns a message with buttons into an arrow-key menu, and Enter in that
menu picks the highlighted option whatever was typed: a salesperson answering in their
own words under a question silently stored the first button's fact. Here buttons are
numbered lines under the question, and what the salesperson types is read in one place,
``message_to_send``: a number of a shown option, or an option's exact title, sends that
option's payload; anything else is sent as typed.

The chat itself (the model, the conversation loop) is ``channels/terminal.py``; the
processes it starts and stops are ``dealcoach.serving.chat_processes``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Sequence, Tuple

#: Typed alone on a line, these end the chat ("stop" alone pauses a review: not here).
STOP_COMMANDS = frozenset({"/stop", "/quit", "/exit"})

BOT = "bot> "
PROMPT = "you> "
OPTION_INDENT = "       "

#: Shown the first time a question comes with options.
OPTIONS_HINT = "(type a number to pick an option, or answer in your own words)"

LOADING = "Loading the coach (about 25 s)"
WELCOME = (
    "Talk to dealcoach in your own words; when it offers options, a number picks one.\n"
    "Three things to try:\n"
    "  let's review the Acme deal\n"
    "  what is a buying centre?\n"
    "  my deals\n"
    "Ctrl-D or /stop ends the chat; your deals are kept for next time."
)
GOODBYE = "Bye: your deals are saved."


@dataclass(frozen=True)
class Option:
    """A button as the terminal shows it: its number, title and the payload it sends."""

    number: int
    title: str
    payload: str


def options_of(messages: Iterable[Dict[str, Any]]) -> List[Option]:
    """Every button of a reply, numbered from 1 in the order they were sent."""
    options: List[Option] = []
    for message in messages:
        for button in message.get("buttons") or []:
            title = str(button.get("title") or button.get("payload") or "")
            payload = str(button.get("payload") or title)
            options.append(Option(len(options) + 1, title, payload))
    return options


def render_reply(
    messages: Sequence[Dict[str, Any]], with_hint: bool = False
) -> Tuple[str, List[Option]]:
    """The bot's reply as terminal lines, and the options a number can now pick.

    Each message's text, then its buttons as numbered lines under it, so that the
    options read as the answers to the question just asked."""
    lines: List[str] = []
    options: List[Option] = []
    for message in messages:
        text = str(message.get("text") or "")
        for key, label in (("image", "Image"), ("attachment", "Attachment")):
            if message.get(key):
                text = (text + "\n" if text else "") + f"{label}: {message[key]}"
        if message.get("custom") and not text:
            text = json.dumps(message["custom"], ensure_ascii=False)
        if text:
            first, *rest = text.splitlines() or [""]
            lines.append(BOT + first)
            lines += [" " * len(BOT) + line for line in rest]
        for button in options_of([message]):
            option = Option(len(options) + 1, button.title, button.payload)
            options.append(option)
            lines.append(f"{OPTION_INDENT}{option.number}. {option.title}")
    if options and with_hint:
        lines.append(OPTION_INDENT + OPTIONS_HINT)
    return "\n".join(lines), options


def message_to_send(typed: str, options: Sequence[Option]) -> str:
    """What to send for a typed line while ``options`` are shown.

    A number of one of them, or its exact title (case and surrounding spaces aside),
    sends its payload; anything else goes as typed, so a typed answer is never taken
    for a button."""
    text = typed.strip()
    if text.isdigit():
        number = int(text)
        for option in options:
            if option.number == number:
                return option.payload
        return text
    for option in options:
        if option.title.strip().casefold() == text.casefold():
            return option.payload
    return text


def is_stop(typed: str) -> bool:
    """Whether the line asks to end the chat."""
    return typed.strip().lower() in STOP_COMMANDS
