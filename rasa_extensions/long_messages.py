"""The NLU reads the first ``READ_CHARACTERS`` characters of a message, not all of it.

Understanding a message takes time that grows with its length, in the Rasa server's
one event loop: a pasted 20,000-character text kept every salesperson waiting for
seconds (tens of seconds the first time a length is seen). ``install()`` wraps
``MessageProcessor.parse_message`` so that a longer message is parsed by its start,
cut at a space. The message itself stays whole (the tracker keeps it and the actions
get all of it, with entities from its start), and the review says what it read
(see ``dealcoach.coaching.interview.READ_CHARACTERS``).
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Callable, Dict

from rasa.core.processor import MessageProcessor

from dealcoach.coaching.interview import READ_CHARACTERS

_MARK = "_dealcoach_reads_the_start"


def install() -> None:
    """Wrap ``MessageProcessor.parse_message`` (once, however often this is called)."""
    if getattr(MessageProcessor.parse_message, _MARK, False):
        return
    MessageProcessor.parse_message = _parse_the_start(MessageProcessor.parse_message)  # type: ignore[method-assign]


def start_of(text: str, limit: int = READ_CHARACTERS) -> str:
    """The first ``limit`` characters of ``text``, cut at a space when there is one."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return head[:space] if space > limit // 2 else head


def _parse_the_start(parse: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(parse)
    async def parse_the_start(
        self: MessageProcessor, message: Any, *args: Any, **kwargs: Any
    ) -> Dict[str, Any]:
        text = message.text or ""
        if len(text) <= READ_CHARACTERS:
            return await parse(self, message, *args, **kwargs)
        head = copy.copy(message)
        head.text = start_of(text)
        parse_data: Dict[str, Any] = await parse(self, head, *args, **kwargs)
        parse_data["text"] = text  # entity offsets still hold: the head is its prefix
        return parse_data

    setattr(parse_the_start, _MARK, True)
    return parse_the_start
