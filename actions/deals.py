"""Managing deals outside a review: brief, list, update, rename, delete."""

import re
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import (
    answers_review,
    deal_store,
    knowledge_base,
    latest_turn,
    named_or_active_deal,
    on_slack,
    owner_of,
    resolve_deal,
    say,
)
from channels.slack_blocks import brief_message
from dealcoach.coaching.brief import format_brief, make_brief, risk_flags
from dealcoach.coaching.interview import interpret
from dealcoach.understanding.entity_check import clean_name


class ActionBrief(Action):
    """'brief me on Acme', 'prep me for my meeting with Vandermolen'."""

    def name(self) -> str:
        return "action_brief"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        # (actions.review imports this module: imported here, when it runs)
        from actions.review import client_named_after_asking

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        deal = named_or_active_deal(dispatcher, tracker, "deal_brief")
        if deal is None:
            return []
        brief = make_brief(knowledge_base(), deal)
        if on_slack(tracker):
            dispatcher.utter_message(json_message=brief_message(brief))
        else:
            dispatcher.utter_message(text=format_brief(brief))
        return []


class ActionListDeals(Action):
    """'my deals': company, stage and the most urgent flag of each."""

    def name(self) -> str:
        return "action_list_deals"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from actions.review import client_named_after_asking  # (imports this module)

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        kb, deals = knowledge_base(), deal_store().deals.list_for(owner_of(tracker))
        if not deals:
            say(dispatcher, "utter_no_deals")
            return []
        lines = [f"Your deals ({len(deals)}):"]
        for deal in deals:
            stage = kb.label("buying_stage", deal.buying_stage) if deal.buying_stage else "stage ?"
            flags = risk_flags(kb, deal)
            urgent = f" - ! {flags[0].flag}" if flags else ""
            lines.append(f"- {deal.company}: {stage}{urgent}")
        dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionUpdateDeal(Action):
    """'update Globex: they're now negotiating': a fact, outside a full review."""

    def name(self) -> str:
        return "action_update_deal"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from actions.review import client_named_after_asking  # (imports this module)

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        turn = latest_turn(tracker)
        answered = answers_review(owner_of(tracker), turn)
        if answered is not None and not turn.company():
            # Guessed, not commanded: during a review this is an answer like any other.
            from actions.review import take_facts

            return take_facts(dispatcher, owner_of(tracker), int(answered.id or 0), turn)
        deal = named_or_active_deal(dispatcher, tracker, "update_deal")
        if deal is None:
            return []
        turn.entities = [e for e in turn.entities if e.get("entity") != "company"]
        deal.asking = None  # an update answers no pending question
        outcome = interpret(knowledge_base(), deal, turn)
        if not outcome.changes:
            say(dispatcher, "utter_update_not_understood", company=deal.company)
            return []
        deal_store().deals.apply(owner_of(tracker), int(deal.id or 0), outcome.changes)
        dispatcher.utter_message(text=f"Updated {deal.company}: " + "; ".join(outcome.noted) + ".")
        return []


class ActionRenameDeal(Action):
    """'rename Acme to Acme Corp'."""

    def name(self) -> str:
        return "action_rename_deal"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from actions.review import client_named_after_asking  # (imports this module)

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        turn = latest_turn(tracker)
        names = [str(e["value"]) for e in turn.entities if e.get("entity") == "company"]
        parsed = re.search(
            r"(?:rename|call)\s+(?:the\s+)?(.+?)(?:\s+deal)?\s+(?:to|as|into)\s+(.+?)[.!]*$",
            turn.text,
            re.IGNORECASE,
        )
        if parsed:
            names = [clean_name(parsed.group(1)) or "", clean_name(parsed.group(2)) or ""]
        if len(names) != 2 or not all(names):
            say(dispatcher, "utter_rename_how")
            return []
        old, new = names
        deal = resolve_deal(dispatcher, owner_of(tracker), old, "rename_deal")
        if deal is None:
            return []
        try:
            deal_store().deals.rename(owner_of(tracker), int(deal.id or 0), new)
        except ValueError as error:
            dispatcher.utter_message(text=f"I can't rename it: {error}.")
            return []
        dispatcher.utter_message(text=f"Renamed {deal.company} to {new}.")
        return []


class ActionDeleteDeal(Action):
    """'delete the Acme deal': asks for confirmation first (see action_answer)."""

    def name(self) -> str:
        return "action_delete_deal"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from actions.review import client_named_after_asking  # (imports this module)

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        if not [e for e in latest_turn(tracker).entities if e.get("entity") == "company"]:
            say(dispatcher, "utter_delete_which")
            return []
        deal = named_or_active_deal(dispatcher, tracker, "delete_deal")
        if deal is None:
            return []
        say(
            dispatcher,
            "utter_confirm_delete",
            company=deal.company,
            buttons=[
                {"title": "Yes, delete it", "payload": "/affirm"},
                {"title": "No, keep it", "payload": "/deny"},
            ],
        )
        return [SlotSet("pending_delete", deal.id)]


def confirm_delete(
    dispatcher: CollectingDispatcher, tracker: Tracker, confirmed: bool
) -> List[Dict[str, Any]]:
    """The yes or no to 'delete the Acme deal?'."""
    owner, store = owner_of(tracker), deal_store()
    deal = store.deals.get_by_id(owner, int(tracker.get_slot("pending_delete")))
    if deal is not None and confirmed:
        store.deals.delete(owner, int(deal.id or 0))
        dispatcher.utter_message(text=f"Deleted {deal.company} and everything recorded about it.")
    elif deal is not None:
        dispatcher.utter_message(text=f"OK, {deal.company} stays.")
    return [SlotSet("pending_delete", None)]
