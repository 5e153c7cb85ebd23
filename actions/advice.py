"""'What should I do next?': the top three pieces of advice for the deal (``Coach.advise``)."""

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import coach, coach_call


class ActionAdvise(Action):
    """'what should I do next?', 'what now on Acme?'."""

    def name(self) -> str:
        return "action_advise"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().advise)
