"""What every action shares: the knowledge base, the deal store and the coach, loaded
once per action-server process (not per request), and the translation between Rasa's
tracker and the core: tracker in (``coach_call``), reply out (``send``).

**The coach runs in worker threads, never on the action server's event loop.** The
action server (rasa_sdk on Sanic) answers every request on one asyncio loop, and
calls an action's plain ``run`` on that loop: a coach call waiting on its database
(PostgreSQL slow, a deal's row lock held by another replica) would stall every other
conversation and the health check with it. So every action is a coroutine that hands
its coach call to ``coach_threads()``: as many threads as the store can run
transactions at once (the PostgreSQL pool's size; one for SQLite, whose single
connection holds one transaction at a time, so its calls queue in order as before).
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from channels.slack_blocks import advice_message, brief_message
from dealcoach.coaching.panel import panel_to_wire
from dealcoach.knowledge_base.languages import DEFAULT_LANGUAGE
from dealcoach.knowledge_base.loader import KnowledgeBase, load_knowledge
from dealcoach.knowledge_base.placeholders import check_response_values, check_responses, fill_all
from dealcoach.serving.coach import AdviceCard, Coach, Conversation, Message, PanelState, Reply
from dealcoach.storage import SQLiteStore, Store, open_store, owner_id
from dealcoach.understanding.turns import Turn, turn_from_message

#: The domain whose responses the actions name (checked against ``say`` at start).
DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"

#: The input channels of the web chat page (local mode, signed-in mode): they get the
#: deal panel (channels/web.py, web/chat.js).
WEB_CHANNELS = ("socketio", "web")
#: The key of the deal panel's custom payload, as the page looks for it.
PANEL_KEY = "dealcoach_panel"

#: The slots the coach reads and sets (``Conversation``, ``Reply.slots``).
CONVERSATION_SLOTS = ("pending_check", "pending_entities", "pending_delete", "last_concept")


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_knowledge()


@lru_cache(maxsize=1)
def deal_store() -> Store:
    return open_store()


@lru_cache(maxsize=1)
def coach() -> Coach:
    return Coach(knowledge_base(), deal_store())


@lru_cache(maxsize=1)
def coach_threads() -> ThreadPoolExecutor:
    """The threads the coach's calls run in, as many as the store's transactions at once."""
    if isinstance(deal_store(), SQLiteStore):
        workers = 1
    else:
        from dealcoach.storage.postgres import pool_size

        workers = pool_size()
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coach")


def load_at_start() -> None:
    """Load the knowledge base and open the deal store now (the server is starting), and
    check that every domain.yml response uses only the values ``say`` gives it."""
    check_responses(DOMAIN_FILE)
    kb, store = knowledge_base(), deal_store()
    coach()
    coach_threads()
    logging.getLogger(__name__).info(
        "dealcoach: knowledge base loaded (%d concepts, %d advice rules), deal store %s",
        len(kb.concepts), len(kb.rules), store.location,
    )  # fmt: skip


#: A coach method: (owner, turn, conversation) -> reply.
CoachCall = Callable[[str, Turn, Conversation], Reply]


async def coach_call(
    dispatcher: CollectingDispatcher, tracker: Tracker, call: CoachCall
) -> List[Dict[str, Any]]:
    """Run one coach method on the tracker's latest message, in a coach thread while
    the event loop serves other requests, and send its reply (and, on the web page, the
    deal panel after it). A database error (PostgreSQL down) propagates: the action
    fails, its transaction rolled back, and Rasa tells the salesperson
    (rasa_extensions/action_server_unreachable.py)."""
    owner, turn, conversation = owner_of(tracker), latest_turn(tracker), conversation_of(tracker)
    loop = asyncio.get_running_loop()
    reply = await loop.run_in_executor(coach_threads(), call, owner, turn, conversation)
    events = send(dispatcher, reply, slack=on_slack(tracker))
    if tracker.get_latest_input_channel() in WEB_CHANNELS:
        # The panel reads the deal again: a database call, so off the loop as well.
        state = await loop.run_in_executor(coach_threads(), coach().panel, owner, reply)
        send_panel(dispatcher, state)
    return events


def send_panel(dispatcher: CollectingDispatcher, state: Optional[PanelState]) -> None:
    """The deal panel after this reply, as a custom payload on the same socket.io
    session as the chat: the page gets only what its own messages are about, never
    through an endpoint of its own. Wrapped in ``data`` because Rasa's socket.io output
    emits a custom payload's keys as its emit arguments (channels/web.py unwraps the same)."""
    if state is not None:
        dispatcher.utter_message(json_message={"data": {PANEL_KEY: panel_to_wire(state)}})


def send(
    dispatcher: CollectingDispatcher, reply: Reply, slack: bool = False
) -> List[Dict[str, Any]]:
    """Utter the reply's messages (cards as Slack layouts on Slack); its slot events."""
    for message in reply.messages:
        _utter(dispatcher, message, slack, reply.language)
    return [SlotSet(name, value) for name, value in reply.slots.items()]


def _utter(dispatcher: CollectingDispatcher, message: Message, slack: bool, language: str) -> None:
    buttons = [{"title": b.title, "payload": b.payload} for b in message.buttons] or None
    if message.response is not None:
        say(dispatcher, message.response, buttons, language=language, **message.values)
    elif slack and message.card is not None:
        card = message.card
        layout = (
            advice_message(card.report, card.company)
            if isinstance(card, AdviceCard)
            else brief_message(card.brief, card.panel)
        )
        dispatcher.utter_message(json_message=layout)
    else:
        dispatcher.utter_message(text=message.text, buttons=buttons)


def say(
    dispatcher: CollectingDispatcher,
    response: str,
    buttons: Optional[List[Dict[str, Any]]] = None,
    language: str = DEFAULT_LANGUAGE,
    **values: str,
) -> None:
    """Utter a domain.yml response with exactly the values its placeholders take.

    Rasa fills a response's ``{company}`` from the values sent with it and, when one is
    missing, sends the text with the raw placeholder (``You have no deal called
    {company}``), saying so only in its log. Every response goes out through here: the
    values must be those ``RESPONSE_VALUES`` lists for the response (checked against
    domain.yml when the action server starts), never None, or this raises.
    """
    check_response_values(response, values)
    # Rendered here, in the reply's language: Rasa would pick the variation by the
    # ``language`` slot as it was before this action, so a language switched by this
    # very message would only show from the next one. The response's name goes along,
    # so the conversation still knows which question was asked (``last_response``).
    text = response_text(response, language, values)
    dispatcher.utter_message(response=response, text=text, buttons=buttons, **values)


@lru_cache(maxsize=1)
def _responses() -> Dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")).get("responses") or {}


def response_text(response: str, language: str, values: Dict[str, str]) -> str:
    """A domain.yml response in ``language``: its variation for that language (a
    ``condition`` on the ``language`` slot), else its unconditional one, filled in."""
    variations = _responses()[response]

    def language_of(variation: Dict[str, Any]) -> str:
        for condition in variation.get("condition") or ():
            if condition.get("type") == "slot" and condition.get("name") == "language":
                return str(condition.get("value"))
        return DEFAULT_LANGUAGE

    chosen = [v for v in variations if language_of(v) == language] or [
        v for v in variations if not v.get("condition")
    ]
    return fill_all(chosen[0]["text"], values)


def owner_of(tracker: Tracker) -> str:
    """The salesperson: the channel and its sender id ("rest:anna", "slack:T1:U2").

    The channel is part of the owner so that a sender id typed into one channel can
    never reach deals made in another (a REST client sending "T1:U2" is not Slack's
    user U2 of team T1).
    """
    channel = tracker.get_latest_input_channel() or "unknown"
    return owner_id(channel, str(tracker.sender_id))


def latest_turn(tracker: Tracker) -> Turn:
    """The latest message, its entities checked: only values the deal model can hold."""
    return turn_from_message(knowledge_base(), tracker.latest_message or {})


def conversation_of(tracker: Tracker) -> Conversation:
    """What the conversation remembers: the coach's slots and the bot's last response."""
    slots = {name: tracker.get_slot(name) for name in CONVERSATION_SLOTS}
    return Conversation.from_slots(knowledge_base(), slots, last_response(tracker))


def last_response(tracker: Tracker) -> str | None:
    """The domain response the bot's last message was, if it was one. A deal panel sent
    after the words is no message: the words before it are what the bot last said."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and not is_panel(event):
            return (event.get("metadata") or {}).get("utter_action")
    return None


def is_panel(event: Dict[str, Any]) -> bool:
    """Whether a bot event is the deal panel's payload."""
    custom = (event.get("data") or {}).get("custom")
    return isinstance(custom, dict) and PANEL_KEY in (custom.get("data") or {})


def on_slack(tracker: Tracker) -> bool:
    """Slack gets Block Kit layouts; every other channel plain text."""
    return tracker.get_latest_input_channel() == "slack"
