"""The coach: one message in, what to say out, with the deal read and written once.

Every conversational action is one call here: ``Coach`` takes the salesperson
(``owner``), their message as a typed ``Turn`` and what the conversation remembers
(``Conversation``: the bot's last question, a yes/no check or a deletion waiting for
its answer), and returns a ``Reply``: what to say, as data (domain responses with
their values, texts, buttons, cards), and what the conversation should remember next.
The actions in ``actions/`` only translate Rasa's tracker into these and the reply
into Rasa's dispatcher; channel layouts (Slack's Block Kit) render the cards.

Each call is one unit of work (``Store.transaction``): the active deal is read once,
the message interpreted on it, its changes applied and written once, the advice
given and logged, the review's history kept, all or nothing. Two messages of one
salesperson never interleave their reads and writes, and a server stopped half-way
leaves the deal as it was before the message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence

from dealcoach.coaching.advice import AdviceReport, advise, format_advice
from dealcoach.coaching.brief import Brief, format_brief, make_brief, risk_flags
from dealcoach.coaching.interview import (
    Asked,
    answers_review,
    answers_the_question,
    client_in_reply,
    interpret,
    long_message_note,
    misread_client,
    reply_yes_no,
    step,
)
from dealcoach.coaching.panel import (
    DealPanel,
    PanelState,
    QuizChart,
    changed_keys,
    deal_panel,
    panel_state,
)
from dealcoach.deals.deal import Change, Deal, name_key
from dealcoach.deals.matching import find_deal
from dealcoach.knowledge_base.languages import DEFAULT_LANGUAGE
from dealcoach.knowledge_base.loader import KnowledgeBase
from dealcoach.knowledge_base.placeholders import check_response_values
from dealcoach.learning import quiz
from dealcoach.learning.learn import apply_to_deal, concept_of, example, explain
from dealcoach.storage import NameClash, QuizRun, Store
from dealcoach.understanding.commands import rename_names
from dealcoach.understanding.entity_check import checked_value
from dealcoach.understanding.language import detect, requested
from dealcoach.understanding.turns import Entity, Turn, entities_from_wire, entity_to_wire

# --- what the coach says -------------------------------------------------------------


def payload(intent: str, values: Mapping[str, Any] | None = None) -> str:
    """A button's payload: the message Rasa reads when the button is pressed
    (``/give_facts{"sector": "retail"}``), written here and nowhere else."""
    return "/" + intent + (json.dumps(dict(values), ensure_ascii=False) if values else "")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class AdviceCard:
    """The advice on a deal, for a channel that lays it out (Slack's blocks)."""

    report: AdviceReport
    company: str


@dataclass(frozen=True)
class BriefCard:
    brief: Brief
    #: The same deal as a map (roles as lanes, a card per person), for channels that
    #: draw it (Slack's fields per role).
    panel: DealPanel | None = None


@dataclass
class Message:
    """One message of the bot: a domain.yml ``response`` with its ``values``, or a
    ``text``; with buttons; a ``card`` is the same message as data a channel may lay
    out itself (``text`` is then its plain form)."""

    response: str | None = None
    values: Dict[str, str] = field(default_factory=dict)
    text: str | None = None
    buttons: List[Button] = field(default_factory=list)
    card: AdviceCard | BriefCard | None = None


@dataclass
class Reply:
    """What to say to one message, in order, and what the conversation remembers next
    (``slots``: Rasa slot name to its new value, in the tracker's JSON form)."""

    messages: List[Message] = field(default_factory=list)
    slots: Dict[str, Any] = field(default_factory=dict)
    #: The language the reply is in (its domain responses are rendered in it too).
    language: str = DEFAULT_LANGUAGE
    #: Whether the message read or changed a deal (or the list of deals): a channel
    #: with a deal panel redraws it then (``Coach.panel``).
    about_deals: bool = False
    #: The deal the message was about, and what of it the message changed
    #: (``dealcoach.coaching.panel.changed_keys``).
    deal_id: int | None = None
    changed: List[str] = field(default_factory=list)
    #: The salesperson asked for the brief to print ("print the Acme brief").
    print_brief: bool = False
    #: Quiz progress as chart data, when the message asked for it ("how am I doing?").
    quiz_chart: QuizChart | None = None

    def say(self, response: str, buttons: Sequence[Button] = (), **values: str) -> None:
        check_response_values(response, values)  # here, so core tests catch it too
        self.messages.append(Message(response=response, values=values, buttons=list(buttons)))

    def text(self, text: str, buttons: Sequence[Button] = ()) -> None:
        self.messages.append(Message(text=text, buttons=list(buttons)))


@dataclass
class Conversation:
    """What the conversation remembers between messages (Rasa's slots and the bot's
    last message), read from the tracker by the actions."""

    #: The domain response the bot's last message was ("utter_which_client").
    last_response: str | None = None
    #: A likely answer waiting for its yes ({fact: value}).
    pending_check: Dict[str, str] = field(default_factory=dict)
    #: Facts given before the salesperson said which client they are about.
    pending_entities: List[Entity] = field(default_factory=list)
    #: The deal whose deletion waits for a yes.
    pending_delete: int | None = None
    #: The concept explained last, for "give me an example".
    last_concept: str | None = None

    @classmethod
    def from_slots(
        cls, kb: KnowledgeBase, slots: Mapping[str, Any], last_response: str | None
    ) -> Conversation:
        """The conversation from Rasa's slot values, each checked like a message's
        entities (a slot holds what a message once carried)."""
        check = slots.get("pending_check")
        checked = {
            str(kind): str(checked_value(kb, str(kind), value))
            for kind, value in (check.items() if isinstance(check, Mapping) else ())
            if checked_value(kb, str(kind), value) is not None
        }
        delete = slots.get("pending_delete")
        concept = slots.get("last_concept")
        return cls(
            last_response=last_response,
            pending_check=checked,
            pending_entities=entities_from_wire(kb, slots.get("pending_entities") or []),
            pending_delete=_deal_id(delete),
            last_concept=concept if isinstance(concept, str) and concept in kb.concepts else None,
        )


def _deal_id(value: Any) -> int | None:
    """A deal id as a slot holds it (Rasa may give 7 as 7.0), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# --- one message's work ----------------------------------------------------------------

_UNREAD = object()


class _Visit:
    """One message being handled: its owner, turn and conversation, the reply being
    built, the active deal, read at most once, and the knowledge base in the
    salesperson's language (``kb``), in which every text of the reply is worded."""

    def __init__(self, owner: str, turn: Turn, conversation: Conversation, kb: KnowledgeBase):
        self.owner = owner
        self.turn = turn
        self.conversation = conversation
        self.kb = kb
        self.reply = Reply(language=kb.language)
        self.reply.slots["language"] = kb.language
        self._active: Any = _UNREAD

    def shows(self, deal: Deal, changes: Sequence[Change] = ()) -> None:
        """This message is about ``deal``, and changed it so (for the deal panel)."""
        if deal.id != self.reply.deal_id:
            self.reply.changed = []
        self.reply.about_deals = True
        self.reply.deal_id = deal.id
        for key in changed_keys(changes):
            if key not in self.reply.changed:
                self.reply.changed.append(key)


class Coach:
    """The conversational coach over one knowledge base and one store."""

    def __init__(self, kb: KnowledgeBase, store: Store) -> None:
        self.kb = kb
        self.store = store

    # --- the salesperson's language ------------------------------------------------------

    def _visit(self, owner: str, turn: Turn, conversation: Conversation) -> _Visit:
        """Start handling one message, in the salesperson's language.

        The language is the one stored with the salesperson, changed by this message
        when it asks for another ("English please": kept until they ask again) or, as
        long as they never asked, when it is clearly written in another
        (``understanding.language``). Ids, facts and the deal store do not depend on it.
        """
        cues = self.kb.language_cues
        setting = self.store.sessions.language(owner)
        language = setting.language if setting else DEFAULT_LANGUAGE
        typed = not turn.text.startswith("/")  # (a button's payload is in no language)
        asked = requested(turn.text, cues) if typed else None
        if asked is not None:
            self.store.sessions.set_language(owner, asked, chosen=True)
            language = asked
        elif typed and (setting is None or not setting.chosen):
            told = detect(turn.text, cues).language
            if told is not None and (setting is None or told != setting.language):
                self.store.sessions.set_language(owner, told, chosen=False)
                language = told
        visit = _Visit(owner, turn, conversation, self.kb.in_language(language))
        if asked is not None:
            visit.reply.text(visit.kb.phrase("language_set"))
        return visit

    def switch_language(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'kan het in het Nederlands?', 'English please': from now on in that language."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if not visit.reply.messages:  # (the NLU heard a request the words do not make)
                visit.reply.text(visit.kb.phrase("language_set"))
            return visit.reply

    # --- the review ---------------------------------------------------------------------

    def start_review(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'let's review the Acme deal', 'new deal: Nordstahl', 'back to Globex'."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            company = (
                client_in_reply(turn, visit.kb)
                if self._asked_which_client(visit)
                else turn.company()
            )
            active = self._active(visit)
            if company and active is not None and active.asking:
                deals = self.store.deals.list_for(owner)
                if misread_client(visit.kb, active, turn, deals):
                    company = None
                    visit.turn = turn = turn.without("company")
            if not company and answers_review(active, turn, visit.kb):
                # "they want to switch provider" is no request to resume: it answers.
                assert active is not None
                self._take_facts(visit, active, turn)
            else:
                self._start_review(visit, company)
            return visit.reply

    def answer(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """Whatever answers the bot's last question: a confirmation, a quiz answer, or
        facts, corrections, 'skip' and 'I don't know' during a review. Messages the NLU
        finds off topic or takes for a quiz answer come here too: with deal facts
        during a review, they answer the review."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if conversation.pending_delete is not None:
                visit.reply.slots["pending_delete"] = None
                if conversation.last_response == "utter_confirm_delete":
                    if turn.intent in ("affirm", "deny"):
                        self._confirm_delete(visit, turn.intent == "affirm")
                    else:
                        visit.reply.text(visit.kb.phrase("deletion_cancelled"))
                    return visit.reply
                # Other messages came between "Delete Acme?" and this one: a "yes" now
                # answers something else and deletes nothing.
            self._answer(visit)
            return visit.reply

    def pause(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'stop', 'later': keep everything, continue where we stopped next time."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            active = self._active(visit)
            if answers_the_question(visit.kb, active, turn):
                # "yes, tense meeting" to "Have you met Jan?" is no request to stop.
                assert active is not None
                self._take_facts(visit, active, turn)
                return visit.reply
            if self.store.quizzes.current(owner) is not None:
                self.store.quizzes.stop(owner)
                visit.reply.text(visit.kb.phrase("quiz_stopped"))
                return visit.reply
            if active is None:
                visit.reply.say("utter_nothing_to_pause")
                return visit.reply
            self.store.deals.apply_to(owner, active, [Change("status", value="paused")])
            visit.shows(active)
            self.store.history.end_review(owner, int(active.id or 0), "paused")
            visit.reply.say("utter_paused", company=active.company)
            return visit.reply

    def goodbye(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """ "bye" ends the conversation; a review answer the NLU took for a goodbye ("yes
        twice" to "Have you met Jan?") answers the review."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            active = self._active(visit)
            if answers_review(active, turn, visit.kb):
                assert active is not None
                self._take_facts(visit, active, turn)
            else:
                visit.reply.say("utter_goodbye")
            return visit.reply

    # --- advice and deals ------------------------------------------------------------------

    def advise(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'what should I do next?': the top three pieces of advice for the deal."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            company = turn.company()
            active = self._active(visit)
            if answers_review(active, turn, visit.kb):
                # "they're negotiating now, what do I do?": the facts first, then
                # advice on the deal as it now stands.
                assert active is not None
                self._take_facts(visit, active, turn, ask_next=False)
                company = None
            deal = self.store.deals.get(owner, company) if company else active
            if deal is None:
                if company:
                    visit.reply.say("utter_no_such_deal", company=company)
                else:
                    visit.reply.say("utter_which_client")
                return visit.reply
            self._advise(visit, deal)
            return visit.reply

    def brief(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'brief me on Acme', 'prep me for my meeting with Vandermolen'."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            self._brief(visit, printed=False)
            return visit.reply

    def list_deals(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'my deals': company, stage and the most urgent flag of each."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            deals = self.store.deals.list_for(owner)
            visit.reply.about_deals = True
            if not deals:
                visit.reply.say("utter_no_deals")
                return visit.reply
            lines = [visit.kb.phrase("deals_title", count=len(deals))]
            for deal in deals:
                stage = (
                    visit.kb.label("buying_stage", deal.buying_stage)
                    if deal.buying_stage
                    else visit.kb.phrase("stage_unknown")
                )
                flags = risk_flags(visit.kb, deal)
                urgent = f" - ! {flags[0].flag}" if flags else ""
                lines.append(f"- {deal.company}: {stage}{urgent}")
            visit.reply.text("\n".join(lines))
            return visit.reply

    def update_deal(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'update Globex: they're now negotiating': a fact, outside a full review."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            active = self._active(visit)
            if not turn.company() and answers_review(active, turn, visit.kb):
                # Guessed, not commanded: during a review this is an answer like any other.
                assert active is not None
                self._take_facts(visit, active, turn)
                return visit.reply
            deal = self._named_or_active(visit, "update_deal")
            if deal is None:
                return visit.reply
            asking, deal.asking = deal.asking, None  # an update answers no pending question
            outcome = interpret(visit.kb, deal, turn.without("company"))
            deal.asking = asking  # (and leaves the review's question as it was)
            if not outcome.changes:
                visit.reply.say("utter_update_not_understood", company=deal.company)
                return visit.reply
            visit.shows(self.store.deals.apply_to(owner, deal, outcome.changes), outcome.changes)
            changes = "; ".join(outcome.noted)
            visit.reply.text(visit.kb.phrase("updated", company=deal.company, changes=changes))
            return visit.reply

    def rename_deal(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'rename Acme to Acme Corp'."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            names = rename_names(turn.text, turn.values("company"))
            if names is None:
                visit.reply.say("utter_rename_how")
                return visit.reply
            old, new = names
            deal = self._resolve(visit, old, "rename_deal")
            if deal is None:
                return visit.reply
            try:
                visit.shows(self.store.deals.rename(owner, int(deal.id or 0), new))
            except (NameClash, ValueError) as error:
                visit.reply.text(visit.kb.phrase("rename_refused", reason=error))
                return visit.reply
            visit.reply.text(visit.kb.phrase("renamed", company=deal.company, new=new))
            return visit.reply

    def delete_deal(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'delete the Acme deal': asks for a yes first (answered through ``answer``)."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            if not turn.company():
                visit.reply.say("utter_delete_which")
                return visit.reply
            deal = self._named_or_active(visit, "delete_deal")
            if deal is None:
                return visit.reply
            visit.shows(deal)
            visit.reply.say(
                "utter_confirm_delete",
                buttons=[
                    Button(visit.kb.phrase("delete_yes"), payload("affirm")),
                    Button(visit.kb.phrase("delete_no"), payload("deny")),
                ],
                company=deal.company,
            )
            visit.reply.slots["pending_delete"] = deal.id
            return visit.reply

    # --- learning --------------------------------------------------------------------------

    def about_concept(self, owner: str, turn: Turn, conversation: Conversation, how: str) -> Reply:
        """'what is a buying centre?' (``how``: explain), 'give me an example'
        (example), 'what does that mean for my Acme deal?' (apply): about the concept
        asked now or, for follow-ups, the one explained last."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            concept = concept_of(visit.kb, turn.entities)
            named = any(e.entity == "concept" for e in turn.entities)
            active = self._active(visit)
            # "supportive" to "How does Jan feel about us?" states the stance asked
            # for; only a concept named as such ("what's a champion?") is a question.
            if not concept:
                answers = answers_review(active, turn, visit.kb)
            else:
                answers = not named and answers_the_question(visit.kb, active, turn)
            if answers:
                # "eleni as well" under "Who writes the specification?" names no
                # concept: it answers the review, whatever intent was guessed.
                assert active is not None
                self._take_facts(visit, active, turn)
                return visit.reply
            if concept is None and how != "explain":
                concept = conversation.last_concept
            if concept is None:
                visit.reply.say("utter_which_concept")
                return visit.reply
            if how == "explain":
                visit.reply.text(explain(visit.kb, concept))
            elif how == "example":
                visit.reply.text(example(visit.kb, concept))
            else:
                deal = self._named_or_active(visit, "apply_concept")
                if deal is not None:
                    visit.shows(deal)
                    visit.reply.text(apply_to_deal(visit.kb, concept, deal))
            visit.reply.slots["last_concept"] = concept
            return visit.reply

    def start_quiz(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'quiz me', 'quiz me on buying centres': five questions from the knowledge base."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            topic = quiz.topic_asked(visit.kb, turn.text, turn.entities)
            seed = len(self.store.quizzes.history(owner)) + sum(map(ord, owner))
            questions = quiz.draw(visit.kb, topic, seed)
            self.store.quizzes.start(owner, topic, [q.id for q in questions])
            if topic:
                about = visit.kb.phrase(f"quiz_topic_{topic}")
                intro = visit.kb.phrase("quiz_intro_topic", topic=about, count=len(questions))
            else:
                intro = visit.kb.phrase("quiz_intro", count=len(questions))
            visit.reply.text(intro)
            self._ask_quiz_question(visit, questions[0], 1, len(questions))
            return visit.reply

    def quiz_progress(self, owner: str, turn: Turn, conversation: Conversation) -> Reply:
        """'how am I doing?': scores over time and the weakest topic."""
        with self.store.transaction():
            visit = self._visit(owner, turn, conversation)
            if self._redirected(visit):
                return visit.reply
            history = self.store.quizzes.history(owner)
            if not history:
                visit.reply.say("utter_no_quiz_yet")
                return visit.reply
            scores = ", ".join(f"{r.score}/{r.answered}" for r in history[-10:])
            answers = self.store.quizzes.answers(owner)
            right = sum(a.correct for a in answers)
            weakest = quiz.weakest_topic((a.topic, a.correct) for a in answers)
            kb = visit.kb
            visit.reply.quiz_chart = quiz.progress_chart(
                history,
                [(a.topic, a.correct) for a in answers],
                topic_label=lambda topic: kb.phrase(f"quiz_topic_{topic}"),
            )
            lines = [
                kb.phrase(
                    "progress_overall", quizzes=len(history), right=right, answers=len(answers)
                ),
                kb.phrase("progress_scores", scores=scores),
            ]
            if weakest:
                lines.append(
                    kb.phrase("progress_weakest", topic=kb.phrase(f"quiz_topic_{weakest}"))
                )
            visit.reply.text("\n".join(lines))
            return visit.reply

    # --- the deal panel --------------------------------------------------------------------

    def panel(self, owner: str, reply: Reply) -> PanelState | None:
        """What a deal panel shows after ``reply``: the deal the message was about (else
        the one being worked on), as stored now, with what the message changed marked,
        and the salesperson's deals (and quiz progress when asked for); None when the
        message touched no deal and drew no chart. Only ever this owner's deals."""
        if not reply.about_deals and reply.quiz_chart is None:
            return None
        with self.store.transaction():
            deal = None
            if reply.deal_id is not None:
                deal = self.store.deals.get_by_id(owner, reply.deal_id)
            if deal is None:
                deal = self.store.active_deal(owner)
            changed = reply.changed if deal is not None and deal.id == reply.deal_id else []
            deals = self.store.deals.list_for(owner)
            kb = self.kb.in_language(reply.language)
            return panel_state(kb, deal, deals, changed, reply.print_brief, reply.quiz_chart)

    # --- inside one message ----------------------------------------------------------------

    def _active(self, visit: _Visit) -> Deal | None:
        """The deal the salesperson is working on, read once per message."""
        if visit._active is _UNREAD:
            visit._active = self.store.active_deal(visit.owner)
        return visit._active

    def _asked_which_client(self, visit: _Visit) -> bool:
        return visit.conversation.last_response == "utter_which_client"

    def _brief(self, visit: _Visit, printed: bool) -> None:
        """The brief of the deal the message names, else of the active one; ``printed``:
        the salesperson asked for it on paper (the web page prints it)."""
        deal = self._named_or_active(visit, "deal_brief")
        if deal is None:
            return
        visit.shows(deal)
        visit.reply.print_brief = printed
        brief = make_brief(visit.kb, deal)
        visit.reply.messages.append(
            Message(text=format_brief(brief), card=BriefCard(brief, deal_panel(visit.kb, deal)))
        )

    def _asks_to_print(self, turn: Turn) -> bool:
        """ "print the brief", "brief on Acme as a pdf": a print word and a brief word
        (knowledge/web_page.yml). The trained intents know no printing, and guess
        anything for these (a concept, advice, my deals), so the words decide."""
        words = set(re.findall(r"\w+", turn.text.lower()))
        web = self.kb.web
        return bool(words & set(web.print_words)) and bool(words & set(web.brief_words))

    def _redirected(self, visit: _Visit) -> bool:
        """A request to print the brief prints it, and a bare client name typed after
        "Which client is this about?" starts that review, whatever intent was guessed
        for them ("Stalbud Krakow" can look like a rename): True when it did."""
        if self._asks_to_print(visit.turn):
            self._brief(visit, printed=True)
            return True
        if not self._asked_which_client(visit):
            return False
        company = client_in_reply(visit.turn, visit.kb)
        if not company:
            return False
        self._start_review(visit, company)
        return True

    def _answer(self, visit: _Visit) -> None:
        owner, turn, kb = visit.owner, visit.turn, visit.kb
        check = visit.conversation.pending_check
        active = self._active(visit) if check else None
        if active is not None and turn.intent == "affirm":
            # A typed "yes" to "Sounds like supplier search, right?".
            facts = [Entity(kind, value) for kind, value in check.items()]
            self._take_facts(visit, active, Turn("give_facts", facts, turn.text))
            return
        if active is not None and reply_yes_no(kb, turn) is False:
            # "no" (or "no, they're still writing the spec") to "Sounds like supplier
            # search, right?": say what was dropped, then read the rest as an answer.
            ((fact, value),) = check.items()
            visit.reply.say("utter_check_denied", value=kb.label(fact, value))
            self._take_facts(visit, active, turn, quiet=True)
            return
        if self._redirected(visit):  # "mas vidal" after "Which client?"
            return
        run = self.store.quizzes.current(owner)
        if run is not None and turn.intent not in ("correction",):
            self._answer_quiz(visit, run)
            return
        # A message answering the review answers it, whatever intent the NLU guessed
        # ("it's a hospital" read as off topic, "yes, twice" as a quiz answer).
        answers = answers_review(self._active(visit), turn, kb)
        if turn.intent == "quiz_answer" and not answers:
            shaped = quiz.looks_like_answer(turn.text)
            visit.reply.say("utter_no_quiz_running" if shaped else "utter_ask_rephrase")
            return
        if turn.intent == "out_of_scope" and not answers:
            visit.reply.say("utter_out_of_scope")
            return
        deal = self._active(visit)
        company = turn.company()
        if deal is None and company:
            deal = self._open_review(visit, company)
            # Facts given while the bot asked which client: they are this one's.
            pending = self._pending_facts(visit, deal)
            turn = Turn(turn.intent, turn.entities + pending, turn.text, turn.command)
        if deal is None:
            facts = turn.without("company").entities
            if not facts:
                visit.reply.say("utter_ask_rephrase")
                return
            # Keep the facts until the salesperson says which client they are about.
            visit.reply.say("utter_which_client")
            pending = visit.conversation.pending_entities + facts
            visit.reply.slots["pending_entities"] = [entity_to_wire(e) for e in pending]
            return
        self._take_facts(visit, deal, turn)

    def _start_review(self, visit: _Visit, company: str | None) -> None:
        """Open (or resume) the review of ``company``, else of the deal being worked on,
        and take the facts said with the start."""
        deal = self._open_review(visit, company) if company else self._active(visit)
        if deal is None:
            visit.reply.say("utter_which_client")
            return
        if not company:
            self._activate(visit, deal, created=False)
        # Facts said with the start ("new deal: Zeller, they make robots") and facts
        # given before any deal was named are not lost.
        facts = visit.turn.without("company").entities + self._pending_facts(visit, deal)
        facts = [e for e in facts if name_key(str(e.value)) != name_key(deal.company)]
        turn = Turn("start_review", facts, visit.turn.text, candidates=visit.turn.candidates)
        self._take_facts(visit, deal, turn, quiet=True)

    def _open_review(self, visit: _Visit, company: str) -> Deal:
        """The deal of ``company``, created if new, made the active one with a review
        started; says so. Facts kept while the bot asked which client go with it
        (``_pending_facts``)."""
        deal, created = self.store.deals.open(visit.owner, company)
        self._activate(visit, deal, created)
        return deal

    def _activate(self, visit: _Visit, deal: Deal, created: bool) -> None:
        owner = visit.owner
        self.store.sessions.set_active(owner, int(deal.id or 0))
        self.store.history.start_review(owner, int(deal.id or 0))
        self.store.quizzes.stop(owner)  # from now on, answers are about the deal
        visit._active = deal
        visit.shows(deal)
        visit.reply.say(
            "utter_review_started" if created else "utter_review_resumed", company=deal.company
        )
        visit.reply.slots["pending_entities"] = None

    def _pending_facts(self, visit: _Visit, deal: Deal) -> List[Entity]:
        """Facts kept while the bot asked which client, without the client's own name
        taken for a person ("quick one - mas vidal, olive farm ...")."""
        return [
            e
            for e in visit.conversation.pending_entities
            if not (e.entity == "person" and name_key(str(e.value)) == name_key(deal.company))
        ]

    def _take_facts(
        self, visit: _Visit, deal: Deal, turn: Turn, quiet: bool = False, ask_next: bool = True
    ) -> None:
        """Apply one message to a deal, confirm it, and ask the next question or advise.

        ``quiet``: say nothing when the message holds no fact (it only named the deal);
        ``ask_next``: False when the caller answers the message itself (with advice)."""
        kb, reply = visit.kb, visit.reply
        result = step(kb, deal, turn)
        deal = self.store.deals.apply_to(visit.owner, deal, result.changes)
        visit.shows(deal, result.changes)
        if result.noted:
            reply.text(kb.phrase("noted", facts="; ".join(result.noted)))
        elif not result.understood and not quiet:
            reply.say("utter_not_understood_in_review")
        if result.deferred:
            reply.say("utter_question_deferred", topic=result.deferred)
        if result.left_open:
            reply.say("utter_question_left_open", topic=result.left_open)
        note = long_message_note(kb, turn.text)
        if note:
            reply.text(note)
        reply.slots["pending_check"] = None
        if not ask_next:
            return
        if result.check:
            ((fact, value),) = result.check.items()
            reply.say(
                "utter_check_fact",
                buttons=[
                    Button(kb.phrase("button_yes"), payload("give_facts", result.check)),
                    Button(kb.phrase("button_no"), payload("deny")),
                ],
                fact=kb.fact_words(fact),
                value=kb.label(fact, value),
            )
            reply.slots["pending_check"] = dict(result.check)
        elif result.question is not None:
            reply.text(result.question.text, _question_buttons(result.question))
        elif result.finished:
            reply.say("utter_review_complete", company=deal.company)
            self._advise(visit, deal)
            self.store.history.end_review(visit.owner, int(deal.id or 0), "complete")

    def _advise(self, visit: _Visit, deal: Deal) -> None:
        visit.shows(deal)
        report = advise(visit.kb, deal)
        visit.reply.messages.append(
            Message(text=format_advice(report, deal.company), card=AdviceCard(report, deal.company))
        )
        self.store.history.log_advice(
            visit.owner, int(deal.id or 0), [a.rule_id for a in report.advice]
        )

    def _named_or_active(self, visit: _Visit, intent: str) -> Deal | None:
        """``_resolve`` for the client the message names."""
        return self._resolve(visit, visit.turn.company(), intent)

    def _resolve(self, visit: _Visit, company: str | None, intent: str) -> Deal | None:
        """The deal ``company`` names (matched forgivingly), else the one being worked on.

        Says so and returns None when the name matches nothing of this salesperson's,
        or asks which one is meant when it could be several: never another owner's."""
        if not company:
            deal = self._active(visit)
            if deal is None:
                visit.reply.say("utter_which_client")
            return deal
        match = find_deal(self.store.deals.list_for(visit.owner), company)
        if match.deal is not None:
            return match.deal
        if match.ambiguous:
            visit.reply.text(
                visit.kb.phrase("which_one"),
                [
                    Button(d.company, payload(intent, {"company": d.company}))
                    for d in match.candidates
                ],
            )
        else:
            visit.reply.say("utter_no_such_deal", company=company)
        return None

    def _confirm_delete(self, visit: _Visit, confirmed: bool) -> None:
        """The yes or no to 'delete the Acme deal?'."""
        deal_id = visit.conversation.pending_delete
        deal = self.store.deals.get_by_id(visit.owner, int(deal_id or 0))
        visit.reply.about_deals = True
        if deal is not None and confirmed:
            self.store.deals.delete(visit.owner, int(deal.id or 0))
            visit.reply.text(visit.kb.phrase("deleted", company=deal.company))
        elif deal is not None:
            visit.reply.text(visit.kb.phrase("kept", company=deal.company))

    def _answer_quiz(self, visit: _Visit, run: QuizRun) -> None:
        """Score one answer to the running quiz, then ask the next question or give the score."""
        kb, turn = visit.kb, visit.turn
        ids = run.question_ids
        current = quiz.question(kb, ids[run.position])
        chosen = quiz.read_answer(kb, current, turn.text, turn.entities)
        if chosen is None:
            visit.reply.say("utter_quiz_answer_how")
            self._ask_quiz_question(visit, current, run.position + 1, len(ids))
            return
        run = self.store.quizzes.record_answer(
            visit.owner, run.id, current.id, current.topic, chosen == current.answer
        )
        visit.reply.text(quiz.format_feedback(kb, current, chosen))
        if not run.finished:
            following = quiz.question(kb, ids[run.position])
            self._ask_quiz_question(visit, following, run.position + 1, len(ids))
        else:
            visit.reply.text(visit.kb.phrase("quiz_done", score=run.score, total=len(ids)))

    def _ask_quiz_question(
        self, visit: _Visit, question: quiz.QuizQuestion, number: int, total: int
    ) -> None:
        buttons = [
            Button(
                f"{quiz.LETTERS[i]}) {quiz.choice_label(visit.kb, choice)}",
                payload("quiz_answer", {"quiz_choice": choice}),
            )
            for i, choice in enumerate(question.choices)
        ]
        visit.reply.text(quiz.format_question(visit.kb, question, number, total), buttons)


def _question_buttons(question: Asked) -> List[Button]:
    """An interview question's buttons: the facts each answer gives, 'I don't know',
    or a command ("Skip")."""
    buttons = []
    for button in question.buttons:
        if button.get("intent"):
            sent = payload(button["intent"])
        elif button["value"]:
            sent = payload("give_facts", button["value"])
        else:
            sent = payload("dont_know")
        buttons.append(Button(button["title"], sent))
    return buttons
