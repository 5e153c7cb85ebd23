"""What every action shares: the knowledge base and the deal store, loaded once per
action-server process (not per request), and the translation from tracker to core."""

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from dealcoach.coaching import interview
from dealcoach.coaching.interview import Asked, Turn
from dealcoach.deals.deal import Deal
from dealcoach.deals.matching import find_deal
from dealcoach.knowledge_base.loader import KnowledgeBase, load_knowledge
from dealcoach.knowledge_base.placeholders import RESPONSE_VALUES, check_responses
from dealcoach.storage import Store, open_store, owner_id
from dealcoach.understanding.entity_check import checked_entities

#: The domain whose responses the actions name (checked against ``say`` at start).
DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_knowledge()


@lru_cache(maxsize=1)
def deal_store() -> Store:
    return open_store()


def load_at_start() -> None:
    """Load the knowledge base and open the deal store now (the server is starting), and
    check that every domain.yml response uses only the values ``say`` gives it."""
    check_responses(DOMAIN_FILE)
    kb, store = knowledge_base(), deal_store()
    logging.getLogger(__name__).info(
        "dealcoach: knowledge base loaded (%d concepts, %d advice rules), deal store %s",
        len(kb.concepts), len(kb.rules), store.location,
    )  # fmt: skip


def say(
    dispatcher: CollectingDispatcher,
    response: str,
    buttons: Optional[List[Dict[str, Any]]] = None,
    **values: str,
) -> None:
    """Utter a domain.yml response with exactly the values its placeholders take.

    Rasa fills a response's ``{company}`` from the values sent with it and, when one is
    missing, sends the text with the raw placeholder (``You have no deal called
    {company}``), saying so only in its log. Every action utters responses through
    here: the values must be those ``RESPONSE_VALUES`` lists for the response (checked
    against domain.yml when the action server starts), never None, or this raises.
    """
    expected = set(RESPONSE_VALUES.get(response, ()))
    given = {name for name, value in values.items() if value is not None and value != ""}
    if given != expected or len(values) != len(given):
        raise ValueError(
            f"{response} takes {sorted(expected) or 'no values'}, was given {values!r}"
        )
    dispatcher.utter_message(response=response, buttons=buttons, **values)


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
    message = tracker.latest_message or {}
    return Turn(
        intent=(message.get("intent") or {}).get("name") or "",
        entities=checked_entities(knowledge_base(), message.get("entities") or []),
        text=message.get("text") or "",
        command=bool(message.get("command")),
        candidates=list(message.get("fact_candidates") or []),
    )


def answers_review(owner: str, turn: Turn) -> Deal | None:
    """The deal under review when this message answers it (``interview.answers_review``)."""
    deal = deal_store().active_deal(owner)
    return deal if interview.answers_review(deal, turn, knowledge_base()) else None


def answers_the_question(owner: str, turn: Turn) -> Deal | None:
    """The deal under review when this message gives what its last question asked
    (``interview.answers_the_question``)."""
    deal = deal_store().active_deal(owner)
    return deal if interview.answers_the_question(knowledge_base(), deal, turn) else None


def client_answer(tracker: Tracker, turn: Turn) -> str | None:
    """The client the message names; just after "Which client is this about?", what
    the reply names as one (``interview.client_in_reply``)."""
    if asked_which_client(tracker):
        return interview.client_in_reply(turn)
    return turn.company()


def asked_which_client(tracker: Tracker) -> bool:
    return last_response(tracker) == "utter_which_client"


def last_response(tracker: Tracker) -> str | None:
    """The domain response the bot's last message was, if it was one."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


def ask(dispatcher: CollectingDispatcher, question: Asked) -> None:
    """Put an interview question, with buttons where the answer is a closed set."""
    buttons: List[Dict[str, Any]] = []
    for button in question.buttons:
        if button.get("intent"):
            payload = "/" + button["intent"]
        elif button["value"]:
            payload = "/give_facts" + _json(button["value"])
        else:
            payload = "/dont_know"
        buttons.append({"title": button["title"], "payload": payload})
    dispatcher.utter_message(text=question.text, buttons=buttons or None)


def _json(value: Dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def resolve_deal(
    dispatcher: CollectingDispatcher, owner: str, company: Optional[str], intent: str
) -> Optional[Deal]:
    """The deal ``company`` names (matched forgivingly), else the one being worked on.

    Says so and returns None when the name matches nothing of this salesperson's, or
    asks which one is meant when it could be several: never another owner's deal.
    """
    store = deal_store()
    if not company:
        deal = store.active_deal(owner)
        if deal is None:
            say(dispatcher, "utter_which_client")
        return deal
    match = find_deal(store.deals.list_for(owner), company)
    if match.deal is not None:
        return match.deal
    if match.ambiguous:
        dispatcher.utter_message(
            text="Which one do you mean?",
            buttons=[
                {"title": d.company, "payload": f"/{intent}" + _json({"company": d.company})}
                for d in match.candidates
            ],
        )
    else:
        say(dispatcher, "utter_no_such_deal", company=company)
    return None


def named_or_active_deal(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str
) -> Optional[Deal]:
    """``resolve_deal`` for the company the latest message names."""
    company = latest_turn(tracker).company()
    return resolve_deal(dispatcher, owner_of(tracker), company, intent)


def on_slack(tracker: Tracker) -> bool:
    """Slack gets Block Kit layouts; every other channel plain text."""
    return tracker.get_latest_input_channel() == "slack"
