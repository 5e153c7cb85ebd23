"""The deal review: start or resume a deal, take the facts a message gives, pause."""

import json
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.advice import give_advice
from actions.deals import confirm_delete
from actions.learning import answer_quiz
from actions.shared import (
    answers_review,
    answers_the_question,
    ask,
    asked_which_client,
    client_answer,
    deal_store,
    knowledge_base,
    last_response,
    latest_turn,
    on_slack,
    owner_of,
    say,
)
from dealcoach.coaching.interview import (
    Turn,
    client_in_reply,
    long_message_note,
    misread_client,
    reply_yes_no,
    step,
)
from dealcoach.deals.deal import Change, name_key
from dealcoach.learning import quiz


class ActionStartReview(Action):
    """'let's review the Acme deal', 'new deal: Nordstahl', 'back to Globex'."""

    def name(self) -> str:
        return "action_start_review"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        owner, turn, store = owner_of(tracker), latest_turn(tracker), deal_store()
        company = client_answer(tracker, turn)
        if company and misread_client(
            knowledge_base(), store.active_deal(owner), turn, store.deals.list_for(owner)
        ):
            company = None
            turn.entities = [e for e in turn.entities if e.get("entity") != "company"]
        answered = None if company else answers_review(owner, turn)
        if answered is not None:
            # "they want to switch provider" is no request to resume: it answers.
            return take_facts(
                dispatcher, owner, int(answered.id or 0), turn, slack=on_slack(tracker)
            )
        return start_review(dispatcher, tracker, company)


def start_review(
    dispatcher: CollectingDispatcher, tracker: Tracker, company: str | None
) -> List[Dict[str, Any]]:
    """Open (or resume) the review of ``company``, else of the deal being worked on."""
    owner, turn, store = owner_of(tracker), latest_turn(tracker), deal_store()
    deal, created = store.deals.open(owner, company) if company else (None, False)
    deal = deal or store.active_deal(owner)
    if deal is None:
        say(dispatcher, "utter_which_client")
        return []
    store.sessions.set_active(owner, deal.id)
    store.history.start_review(owner, deal.id)
    store.quizzes.stop(owner)  # from now on, answers are about the deal
    say(
        dispatcher,
        "utter_review_started" if created else "utter_review_resumed",
        company=deal.company,
    )
    # Facts said with the start ("new deal: Zeller, they make robots") and facts
    # given before any deal was named are not lost.
    pending = _pending_facts(tracker, deal.company)
    facts = [e for e in turn.entities if e.get("entity") != "company"] + pending
    facts = [e for e in facts if name_key(str(e.get("value"))) != name_key(deal.company)]
    events = take_facts(
        dispatcher,
        owner,
        deal.id,
        Turn("start_review", facts, turn.text, candidates=turn.candidates),
        quiet=True,
        slack=on_slack(tracker),
    )
    return [SlotSet("pending_entities", None), *events]


def client_named_after_asking(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> List[Dict[str, Any]] | None:
    """For every action: when the message is a bare client name typed after "Which
    client is this about?", start that review instead (the events), else None."""
    company = named_after_which_client(tracker)
    return start_review(dispatcher, tracker, company) if company else None


def named_after_which_client(tracker: Tracker) -> str | None:
    """The client named in reply to "Which client is this about?", whatever intent was
    guessed for it ("Stalbud Krakow" can look like a rename)."""
    if not asked_which_client(tracker):
        return None
    return client_in_reply(latest_turn(tracker))


class ActionAnswer(Action):
    """Whatever answers the bot's last question: a confirmation, a quiz answer, or facts,
    corrections, 'skip' and 'I don't know' during a review. Messages the NLU finds off
    topic or takes for a quiz answer come here too: with deal facts during a review,
    they answer the review."""

    def name(self) -> str:
        return "action_answer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if tracker.get_slot("pending_delete") is not None:
            if last_response(tracker) == "utter_confirm_delete":
                if latest_turn(tracker).intent in ("affirm", "deny"):
                    return confirm_delete(
                        dispatcher, tracker, latest_turn(tracker).intent == "affirm"
                    )
                dispatcher.utter_message(text="Deletion cancelled.")
                return [SlotSet("pending_delete", None)]
            # Other messages came between "Delete Acme?" and this one: a "yes" now
            # answers something else and deletes nothing.
            return [SlotSet("pending_delete", None)] + self._answer(dispatcher, tracker)
        return self._answer(dispatcher, tracker)

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
        owner, turn, store = owner_of(tracker), latest_turn(tracker), deal_store()
        check = tracker.get_slot("pending_check")
        if check and turn.intent == "affirm":
            # A typed "yes" to "Sounds like supplier search, right?".
            facts = [{"entity": k, "value": v} for k, v in check.items()]
            turn = Turn("give_facts", facts, turn.text)
            deal = store.active_deal(owner)
            if deal is not None:
                return take_facts(dispatcher, owner, int(deal.id or 0), turn)
        deal = store.active_deal(owner) if check else None
        if deal is not None and reply_yes_no(knowledge_base(), turn) is False:
            # "no" (or "no, they're still writing the spec") to "Sounds like supplier
            # search, right?": say what was dropped, then read the rest as an answer.
            ((fact, value),) = check.items()
            label = knowledge_base().label(fact, value)
            say(dispatcher, "utter_check_denied", value=label)
            return take_facts(dispatcher, owner, int(deal.id or 0), turn, quiet=True)
        named = named_after_which_client(tracker)
        if named:
            return start_review(dispatcher, tracker, named)  # "mas vidal" after "Which client?"
        run = store.quizzes.current(owner)
        if run is not None and turn.intent not in ("correction",):
            answer_quiz(dispatcher, tracker, run)
            return []
        # A message answering the review answers it, whatever intent the NLU guessed
        # ("it's a hospital" read as off topic, "yes, twice" as a quiz answer).
        answers = answers_review(owner, turn) is not None
        if turn.intent == "quiz_answer" and not answers:
            shaped = quiz.looks_like_answer(turn.text)
            say(dispatcher, "utter_no_quiz_running" if shaped else "utter_ask_rephrase")
            return []
        if turn.intent == "out_of_scope" and not answers:
            say(dispatcher, "utter_out_of_scope")
            return []
        return self._review(dispatcher, tracker)

    def _review(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
        owner, turn, store = owner_of(tracker), latest_turn(tracker), deal_store()
        company = turn.company()
        deal = store.active_deal(owner)
        events: List[Dict[str, Any]] = []
        if deal is None and company:
            deal, created = store.deals.open(owner, company)
            store.sessions.set_active(owner, deal.id)
            store.history.start_review(owner, deal.id)
            say(
                dispatcher,
                "utter_review_started" if created else "utter_review_resumed",
                company=deal.company,
            )
            # Facts given while the bot asked which client: they are this one's.
            pending = _pending_facts(tracker, deal.company)
            turn = Turn(turn.intent, turn.entities + pending, turn.text, turn.command)
            events.append(SlotSet("pending_entities", None))
        if deal is None:
            facts = [e for e in turn.entities if e.get("entity") != "company"]
            if not facts:
                say(dispatcher, "utter_ask_rephrase")
                return []
            # Keep the facts until the salesperson says which client they are about.
            say(dispatcher, "utter_which_client")
            pending = (tracker.get_slot("pending_entities") or []) + facts
            return [SlotSet("pending_entities", pending)]
        return events + take_facts(dispatcher, owner, deal.id, turn, slack=on_slack(tracker))


def _pending_facts(tracker: Tracker, company: str) -> List[Dict[str, Any]]:
    """Facts kept while the bot asked which client, without the client's own name
    taken for a person ("quick one - mas vidal, olive farm ...")."""
    return [
        e
        for e in tracker.get_slot("pending_entities") or []
        if not (e.get("entity") == "person" and name_key(str(e.get("value"))) == name_key(company))
    ]


def take_facts(
    dispatcher: CollectingDispatcher,
    owner: str,
    deal_id: int,
    turn: Turn,
    quiet: bool = False,
    slack: bool = False,
    ask_next: bool = True,
) -> List[Dict[str, Any]]:
    """Apply one message to a deal, confirm it, and ask the next question or advise.

    ``quiet``: say nothing when the message holds no fact (it only named the deal);
    ``ask_next``: False when the caller answers the message itself (with advice).
    Returns the events to set: a yes/no check waiting for its answer, or none."""
    kb, store = knowledge_base(), deal_store()
    deal = store.deals.get_by_id(owner, deal_id)
    if deal is None:
        return []
    result = step(kb, deal, turn)
    deal = store.deals.apply(owner, deal_id, result.changes)
    if result.noted:
        dispatcher.utter_message(text="Noted: " + "; ".join(result.noted) + ".")
    elif not result.understood and not quiet:
        say(dispatcher, "utter_not_understood_in_review")
    if result.deferred:
        say(dispatcher, "utter_question_deferred", topic=result.deferred)
    if result.left_open:
        say(dispatcher, "utter_question_left_open", topic=result.left_open)
    note = long_message_note(turn.text)
    if note:
        dispatcher.utter_message(text=note)
    if not ask_next:
        return [SlotSet("pending_check", None)]
    if result.check:
        ((fact, value),) = result.check.items()
        say(
            dispatcher,
            "utter_check_fact",
            fact=fact.replace("_", " "),
            value=kb.label(fact, value),
            buttons=[
                {"title": "Yes", "payload": "/give_facts" + json.dumps(result.check)},
                {"title": "No", "payload": "/deny"},
            ],
        )
        return [SlotSet("pending_check", result.check)]
    if result.question is not None:
        ask(dispatcher, result.question)
    elif result.finished:
        say(dispatcher, "utter_review_complete", company=deal.company)
        give_advice(dispatcher, owner, deal, slack)
        store.history.end_review(owner, deal_id, "complete")
    return [SlotSet("pending_check", None)]


class ActionGoodbye(Action):
    """ "bye" ends the conversation; a review answer the NLU took for a goodbye ("yes
    twice" to "Have you met Jan?") answers the review."""

    def name(self) -> str:
        return "action_goodbye"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        owner, turn = owner_of(tracker), latest_turn(tracker)
        answered = answers_review(owner, turn)
        if answered is not None:
            return take_facts(
                dispatcher, owner, int(answered.id or 0), turn, slack=on_slack(tracker)
            )
        say(dispatcher, "utter_goodbye")
        return []


class ActionPause(Action):
    """'stop', 'later': keep everything, continue where we stopped next time."""

    def name(self) -> str:
        return "action_pause"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        owner, store, turn = owner_of(tracker), deal_store(), latest_turn(tracker)
        answered = answers_the_question(owner, turn)
        if answered is not None:
            # "yes, tense meeting" to "Have you met Jan?" is no request to stop.
            return take_facts(dispatcher, owner, int(answered.id or 0), turn)
        if store.quizzes.current(owner) is not None:
            store.quizzes.stop(owner)
            dispatcher.utter_message(text='Quiz stopped. Say "quiz me" for a new one.')
            return []
        deal = store.active_deal(owner)
        if deal is None:
            say(dispatcher, "utter_nothing_to_pause")
            return []
        store.deals.apply(owner, deal.id, [Change("status", value="paused")])
        store.history.end_review(owner, deal.id, "paused")
        say(dispatcher, "utter_paused", company=deal.company)
        return []
