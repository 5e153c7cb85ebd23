"""Read back, in one line, the facts understood from the last message."""

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import knowledge_base
from dealcoach.facts import describe


class ActionConfirmFacts(Action):
    def name(self) -> str:
        return "action_confirm_facts"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        facts = describe(knowledge_base(), tracker.latest_message.get("entities", []))
        if facts:
            dispatcher.utter_message(text="Noted: " + "; ".join(facts) + ".")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
