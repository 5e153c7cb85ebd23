"""The deal review: start or resume a deal, take the facts a message gives, pause
(``Coach.start_review``, ``answer``, ``pause``, ``goodbye``)."""

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import coach, coach_call


class ActionStartReview(Action):
    """'let's review the Acme deal', 'new deal: Nordstahl', 'back to Globex'."""

    def name(self) -> str:
        return "action_start_review"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().start_review)


class ActionAnswer(Action):
    """Whatever answers the bot's last question: a confirmation, a quiz answer, or
    facts, corrections, 'skip' and 'I don't know' during a review."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().answer)


class ActionGoodbye(Action):
    """ "bye"; a review answer the NLU took for a goodbye answers the review."""

    def name(self) -> str:
        return "action_goodbye"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().goodbye)


class ActionPause(Action):
    """'stop', 'later': keep everything, continue where we stopped next time."""

    def name(self) -> str:
        return "action_pause"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().pause)
