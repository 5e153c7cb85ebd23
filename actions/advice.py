"""'What should I do next?': the top three pieces of advice for the deal, each with why."""

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import (
    answers_review,
    deal_store,
    knowledge_base,
    latest_turn,
    on_slack,
    owner_of,
    say,
)
from channels.slack_blocks import advice_message
from dealcoach.coaching.advice import advise, format_advice
from dealcoach.deals.deal import Deal


class ActionAdvise(Action):
    def name(self) -> str:
        return "action_advise"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        # (actions.review imports this module: imported here, when it runs)
        from actions.review import (
            client_named_after_asking,
            take_facts,
        )

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        owner, store, turn = owner_of(tracker), deal_store(), latest_turn(tracker)
        company = turn.company()
        answered = answers_review(owner, turn)
        if answered is not None:
            # "they're negotiating now, what do I do?": the facts first, then advice on
            # the deal as it now stands.
            take_facts(dispatcher, owner, int(answered.id or 0), turn, ask_next=False)
            company = None
        deal = store.deals.get(owner, company) if company else store.active_deal(owner)
        if deal is None:
            if company:
                say(dispatcher, "utter_no_such_deal", company=company)
            else:
                say(dispatcher, "utter_which_client")
            return []
        give_advice(dispatcher, owner, deal, on_slack(tracker))
        return []


def give_advice(
    dispatcher: CollectingDispatcher, owner: str, deal: Deal, slack: bool = False
) -> None:
    report = advise(knowledge_base(), deal)
    if slack:
        dispatcher.utter_message(json_message=advice_message(report, deal.company))
    else:
        dispatcher.utter_message(text=format_advice(report, deal.company))
    deal_store().history.log_advice(owner, int(deal.id or 0), [a.rule_id for a in report.advice])
