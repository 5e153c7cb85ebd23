"""The salesperson's language: 'kan het in het Nederlands?', 'English please'
(``Coach.switch_language``)."""

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import coach, coach_call


class ActionSwitchLanguage(Action):
    """Answer in the language asked for, from this reply on."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().switch_language)
