"""What every action shares: the knowledge base and the deal store, loaded once per
action-server process (not per request), and the translation from tracker to core."""

from functools import lru_cache
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from dealcoach.interview import Asked, Turn
from dealcoach.knowledge import KnowledgeBase, load_knowledge
from dealcoach.store import SQLiteDealStore


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_knowledge()


@lru_cache(maxsize=1)
def deal_store() -> SQLiteDealStore:
    return SQLiteDealStore()


def owner_of(tracker: Tracker) -> str:
    """Deals belong to the channel's sender id: one salesperson, one set of deals."""
    return str(tracker.sender_id)


def latest_turn(tracker: Tracker) -> Turn:
    message = tracker.latest_message or {}
    return Turn(
        intent=(message.get("intent") or {}).get("name") or "",
        entities=list(message.get("entities") or []),
        text=message.get("text") or "",
    )


def company_named(turn: Turn) -> str | None:
    names = [str(e["value"]).strip() for e in turn.entities if e.get("entity") == "company"]
    return names[0] if names and names[0] else None


def ask(dispatcher: CollectingDispatcher, question: Asked) -> None:
    """Put an interview question, with buttons where the answer is a closed set."""
    buttons: List[Dict[str, Any]] = []
    for button in question.buttons:
        if button["value"]:
            payload = "/give_facts" + _json(button["value"])
        else:
            payload = "/dont_know"
        buttons.append({"title": button["title"], "payload": payload})
    dispatcher.utter_message(text=question.text, buttons=buttons or None)


def _json(value: Dict[str, Any]) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
