"""Managing deals outside a review: brief, list, update, rename, delete (``Coach``)."""

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import coach, coach_call


class ActionBrief(Action):
    """'brief me on Acme', 'prep me for my meeting with Vandermolen'."""

    def name(self) -> str:
        return "action_brief"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().brief)


class ActionListDeals(Action):
    """'my deals': company, stage and the most urgent flag of each."""

    def name(self) -> str:
        return "action_list_deals"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().list_deals)


class ActionUpdateDeal(Action):
    """'update Globex: they're now negotiating': a fact, outside a full review."""

    def name(self) -> str:
        return "action_update_deal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().update_deal)


class ActionRenameDeal(Action):
    """'rename Acme to Acme Corp'."""

    def name(self) -> str:
        return "action_rename_deal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().rename_deal)


class ActionDeleteDeal(Action):
    """'delete the Acme deal': asks for a yes first (answered by action_answer)."""

    def name(self) -> str:
        return "action_delete_deal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().delete_deal)
