"""The deal-review interview: what a message changes in a deal, and what to ask next.

``interpret`` reads one message (its intent, its NLU entities and its text) in the
light of the deal so far and of the pending question, and returns the changes to
make plus one short line confirming what was understood. ``next_question`` picks
the first question of ``knowledge/interview.yml`` still unanswered. Nothing here
touches storage or Rasa: the action applies the changes through the store.

How facts about people are read:
* Each person named (``person`` entity) is an anchor; a job title next to a name
  ("Petra Lang, CFO") belongs to that name, a title alone ("the CFO") is an anchor
  of its own until a name is given for it.
* A role, stance or meeting belongs to the anchor in the same clause (the nearest
  one before it, else after it), else to the only or nearest anchor of the message,
  else to the person the pending question is about, else to the last person
  mentioned ("she signs off").
* A denied role ("not the decider") is removed; a correction replaces the person's
  roles; otherwise roles add up, since one person can hold several.
"""

from __future__ import annotations

import bisect
import copy
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

from dealcoach.deals.deal import (
    DEAL_FACTS,
    Change,
    Deal,
    Stakeholder,
    apply_change,
    name_key,
)
from dealcoach.deals.matching import find_deal
from dealcoach.knowledge_base.loader import KnowledgeBase, Question
from dealcoach.knowledge_base.placeholders import fill_all
from dealcoach.understanding.numbers import parse_count
from dealcoach.understanding.turns import Entity, Turn

PERSON_FACTS = ("role", "stance", "met", "job_title")
#: The NLU reads this many characters of a message (rasa_extensions/long_messages.py).
READ_CHARACTERS = 2000
#: At most this many characters between a name and its title ("Petra Lang, CFO").
NAME_TITLE_GAP = 12
_PERSON_FIELDS = (
    "title", "roles", "add_roles", "assume_roles", "remove_roles", "stance", "rename", "met"
)  # fmt: skip
_CLAUSE_BREAK = re.compile(r"[,;.!?]|\band\b|\bbut\b|\bwhile\b|\bwhereas\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(he|she|him|her|they|them|his)\b", re.IGNORECASE)
_NAME_LIKE = re.compile(r"^[^\W\d_][\w .'&-]{0,60}$")


#: Intents a short reply is reliably classified into, and that are never a client's
#: name ("skip", "no idea", "thanks", "b").
NOT_A_NAME = (
    "greet", "goodbye", "thank", "affirm", "deny", "help", "bot_challenge", "skip",
    "dont_know", "pause", "list_deals", "quiz", "quiz_progress", "quiz_answer",
)  # fmt: skip
_CLIENT_LEADS = ("new deal:", "new deal", "it's", "its", "it is", "the")


def client_in_reply(turn: Turn, kb: KnowledgeBase | None = None) -> str | None:
    """The client a reply to "Which client is this about?" names, whatever intent was
    guessed for it: a bare name is the client whole, however the name recogniser cut or
    kinded it ("Tindahan Plus" read as the person "Tindahan"); else the client named.

    Given ``kb``, a short reply with no function word of any language ("the", "they",
    "de", "ze") is a name even when a word of it reads as a fact: clients are often
    called after what they do ("järvenrinne municipality", "laurentide aerostructures"),
    and when the name recogniser missed such a name the question came back forever."""
    if turn.command or turn.intent in NOT_A_NAME:
        return None
    text = turn.text.strip(" \t.!?")
    for lead in _CLIENT_LEADS:
        if text.lower().startswith((lead + " ", lead + ":")):
            text = text[len(lead) :].strip(" :")
    bare = len(text) > 1 and len(text.split()) <= 5 and bool(_NAME_LIKE.match(text))
    stated = [e for e in turn.deal_facts() if e.entity != "person" and e.source != "learned"]
    if bare and not stated:
        return text
    named = turn.company()
    if named or not bare or kb is None:
        return named
    words = set(text.lower().split())
    sentence_words = set().union(*kb.language_cues.function_words.values())
    return None if words & sentence_words else text


def answers_review(deal: Deal | None, turn: Turn, kb: KnowledgeBase | None = None) -> bool:
    """Whether a message answers the review of ``deal``: it carries deal facts, names
    one of its people or (given ``kb``) opens with a yes or a no to the yes/no question
    asked, or with a value of the fact asked ("high, ..."); it names no other client
    and is no explicit command, whatever intent was guessed."""
    if turn.command or deal is None:
        return False
    # "high, if a defect slips through it ends up on a plane" to "routine or strategic?"
    # opens with its answer, whatever intent the NLU guessed for the rest.
    answered = kb is not None and (
        yes_no_answer(kb, deal, turn) is not None or opening_value(kb, deal, turn) is not None
    )
    if not (turn.deal_facts() or known_people(deal, turn.text) or answered):
        return False
    company = turn.company()
    return not company or find_deal([deal], company).deal is not None


def answers_the_question(kb: KnowledgeBase, deal: Deal | None, turn: Turn) -> bool:
    """Whether a message gives what the question just asked wants: a yes or a no to a
    yes/no question, or a statement of the fact asked about ("supportive" to "How does
    Jan feel about us?"). Such a message answers the review even when the NLU took it
    for a request to explain a concept or to pause."""
    if deal is None or not deal.asking or turn.command:
        return False
    if yes_no_answer(kb, deal, turn) is not None or opening_value(kb, deal, turn):
        return True
    question = kb.question(deal.asking)
    if question is None:
        return False
    if question.role:
        return any(
            e.entity == "role" and e.value == question.role and not e.negated for e in turn.entities
        )
    asked = question.entity or question.per_person
    return asked is not None and any(e.entity == asked and not e.negated for e in turn.entities)


def misread_client(kb: KnowledgeBase, deal: Deal | None, turn: Turn, deals: Sequence[Deal]) -> bool:
    """Whether the client a message names is more likely a misread answer than a new
    deal: during a review, the message states the very fact just asked for, and the
    name is none of the salesperson's deals ("life & non-life insurer in osaka" to
    "Which sector is Sakuragawa Mutual in?" once opened a deal called "life & non").
    Resuming a known deal by name always works; a new one is opened by naming it
    outside an answer, or with the buttons and commands of the help text."""
    company = turn.company()
    if deal is None or not deal.asking or not company or turn.command:
        return False
    if find_deal(deals, company).deal is not None:
        return False
    question = kb.question(deal.asking)
    asked = question.entity if question is not None else None
    return asked is not None and any(e.entity == asked and not e.negated for e in turn.entities)


@dataclass
class Outcome:
    changes: List[Change] = field(default_factory=list)
    noted: List[str] = field(default_factory=list)
    #: A likely answer to the question asked, to confirm with yes or no ({fact: value}).
    check: Dict[str, str] = field(default_factory=dict)

    @property
    def understood(self) -> bool:
        return bool(self.changes)


@dataclass
class Asked:
    """A question ready to be put to the salesperson."""

    key: str
    text: str
    #: {"title", "value": facts it gives} and, for a command, "intent" ("skip").
    buttons: List[Dict[str, Any]] = field(default_factory=list)


# --- one turn of the review --------------------------------------------------------------


@dataclass
class Step:
    """What one message does to a review: the changes to store and what to say."""

    changes: List[Change]
    noted: List[str]
    question: Asked | None
    finished: bool  # this message answered the last open question
    #: A question put twice without an answer, now left for later ("the sector").
    deferred: str | None = None
    #: A question that came back from later and still got no answer: left open.
    left_open: str | None = None
    #: Put this yes/no check ({fact: value}) instead of the question.
    check: Dict[str, str] = field(default_factory=dict)

    @property
    def understood(self) -> bool:
        return bool(self.noted) or any(c.kind == "unknown" for c in self.changes)


#: A question is put at most this many times in a row; then the interview moves on.
ASK_AT_MOST = 2


def step(kb: KnowledgeBase, deal: Deal, turn: Turn) -> Step:
    """Read a message, then work out the next question on the deal as it will be.

    The same question never comes three times in a row: put twice without an answer,
    it is left for the end of the interview; when it comes back and is missed twice
    again (or nothing else is left to ask), it stays open, as if skipped."""
    outcome = interpret(kb, deal, turn)
    changes = list(outcome.changes)
    if outcome.check and deal.asking and deal.asked < ASK_AT_MOST:
        # The yes/no check takes the question's place (and counts as putting it).
        changes.append(Change("asking", value=deal.asking, data={"times": deal.asked + 1}))
        return Step(changes, outcome.noted, None, False, check=outcome.check)
    preview = copy.deepcopy(deal)
    for change in changes:
        apply_change(preview, change)
    question = next_question(kb, preview)
    deferred = left_open = None
    # Resuming a review puts the waiting question again: that is no second miss.
    resumed = turn.intent == "start_review"
    asked = 0 if resumed else deal.asked
    if question is not None and question.key == deal.asking and asked >= ASK_AT_MOST:
        key = question.key
        later = Change("defer", key)
        apply_change(preview, later)
        question = next_question(kb, preview)
        if question is not None and question.key != key and key not in deal.deferred:
            changes.append(later)
            deferred = _topic(kb, deal, key)
        else:
            changes.append(Change("unknown", key))
            apply_change(preview, changes[-1])
            question = next_question(kb, preview)
            left_open = _topic(kb, deal, key)
    key = question.key if question else None
    times = asked + 1 if key is not None and key == deal.asking else 1
    if key != deal.asking or times != deal.asked:
        changes.append(Change("asking", value=key, data={"times": times}))
    if question is not None and times == ASK_AT_MOST:
        question = _with_skip(kb, question)
    finished = question is None and deal.status != "complete"
    if finished:
        changes.append(Change("status", value="complete"))
    elif question is not None and deal.status != "open":
        changes.append(Change("status", value="open"))
    return Step(
        changes=changes,
        noted=outcome.noted,
        question=question,
        finished=finished,
        deferred=deferred,
        left_open=left_open,
    )


def _with_skip(kb: KnowledgeBase, question: Asked) -> Asked:
    """The second time a question is put: its buttons, and a way past it."""
    skip: Dict[str, Any] = {"title": kb.phrase("button_skip"), "value": {}, "intent": "skip"}
    return Asked(question.key, question.text, [*question.buttons, skip])


def _topic(kb: KnowledgeBase, deal: Deal, key: str) -> str:
    """A question's subject in a sentence: "the sector", "the decider", "Jan's stance"."""
    kind, _, rest = key.partition(":")
    if kind == "role":
        return kb.phrase("the_role", role=kb.label("role", rest))
    person = next((p.name for p in deal.stakeholders if p.key == rest), rest)
    if kind == "stance":
        return kb.phrase("persons_stance", person=person)
    if kind == "met":
        return kb.phrase("whether_met", person=person)
    return kb.phrase("the_fact", fact=kb.fact_words(kind))


def long_message_note(kb: KnowledgeBase, text: str) -> str | None:
    """What to tell the salesperson when only the start of their message was read."""
    if len(text) <= READ_CHARACTERS:
        return None
    return kb.phrase("long_message", count=f"{READ_CHARACTERS:,}")


# --- what to ask next -----------------------------------------------------------------


def next_question(kb: KnowledgeBase, deal: Deal) -> Asked | None:
    """The first question of the interview still open for this deal, or None when done.

    Questions left for later come back once everything else is answered."""
    return _first_open(kb, deal, set(deal.deferred)) or (
        _first_open(kb, deal, set()) if deal.deferred else None
    )


def _first_open(kb: KnowledgeBase, deal: Deal, later: set[str]) -> Asked | None:
    for question in kb.questions:
        if not _applies(question, deal):
            continue
        if question.per_person:
            # All questions about one person come together, person by person.
            about_people = [q for q in kb.questions if q.per_person and _applies(q, deal)]
            for person in (p for p in deal.stakeholders if p.named):
                for each in about_people:
                    key = f"{each.per_person}:{person.key}"
                    if key in later:
                        continue
                    if not _person_answered(deal, person, str(each.per_person), key):
                        return _asked(kb, each, deal, key, person)
            return None
        if question.key not in later and not _answered(deal, question):
            return _asked(kb, question, deal, question.key, None)
    return None


def _applies(question: Question, deal: Deal) -> bool:
    return all(getattr(deal, fact) in values for fact, values in question.only_if)


def _answered(deal: Deal, question: Question) -> bool:
    if question.key in deal.unknown:
        return True
    if question.role:
        return bool(deal.holders(question.role))
    return getattr(deal, question.entity or "") is not None


def _person_answered(deal: Deal, person: Stakeholder, what: str, key: str) -> bool:
    if key in deal.unknown:
        return True
    return person.stance != "unknown" if what == "stance" else person.met is not None


def _asked(
    kb: KnowledgeBase, question: Question, deal: Deal, key: str, person: Stakeholder | None
) -> Asked:
    values = {"company": deal.company, **({"name": person.name} if person else {})}
    text = fill_all(question.ask, values)  # (load checked that these are all it uses)
    entity = question.entity or question.per_person
    buttons = []
    for value in question.buttons:
        payload: Dict[str, str] = {str(entity): value}
        if person:
            payload["person"] = person.name
        buttons.append({"title": _capitalised(kb.label(str(entity), value)), "value": payload})
    if buttons:
        buttons.append({"title": kb.phrase("button_dont_know"), "value": {}})
    return Asked(key=key, text=text, buttons=buttons)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- reading a message ------------------------------------------------------------------


def interpret(kb: KnowledgeBase, deal: Deal, turn: Turn) -> Outcome:
    """The changes one message makes to a deal, and the line that confirms them."""
    outcome = Outcome()
    # "no, not yet" to "Have you met Jan?" is a no, whatever intent was guessed for it.
    if turn.intent in ("skip", "dont_know") and yes_no_answer(kb, deal, turn) is None:
        if deal.asking:
            outcome.changes.append(Change("unknown", deal.asking))
            topic = _question_label(kb, deal.asking)
            outcome.noted.append(kb.phrase("unknown_for_now", topic=topic))
        return outcome
    entities = [e for e in turn.entities if e.value is not None]
    _read_deal_facts(kb, deal, turn, entities, outcome)
    _read_people(kb, deal, turn, entities, outcome)
    _read_opening_value(kb, deal, turn, outcome)
    _read_in_context(kb, deal, turn, outcome)
    return outcome


def _read_opening_value(kb: KnowledgeBase, deal: Deal, turn: Turn, outcome: Outcome) -> None:
    value = opening_value(kb, deal, turn)
    kind = deal.asking
    if value is None or any(c.kind == "fact" and c.key == kind for c in outcome.changes):
        return
    outcome.changes.append(Change("fact", kind, value))
    outcome.noted.append(_fact_noted(kb, kind, value))


#: An answer to the question just asked is read with the question as a prior: the
#: understanding's best guess of the asked fact is taken from ``CONTEXT_ACCEPT`` on
#: (the understanding alone needs 0.5), and confirmed with a yes/no check from
#: ``CONTEXT_CHECK`` on. Stance and met of the person asked about, from an answer
#: naming nobody, need ``CONTEXT_PERSON``.
CONTEXT_ACCEPT = 0.3
CONTEXT_CHECK = 0.1
CONTEXT_PERSON = 0.5


def _read_in_context(kb: KnowledgeBase, deal: Deal, turn: Turn, outcome: Outcome) -> None:
    if not deal.asking or not turn.candidates or turn.intent in ("affirm", "deny", "start_review"):
        return
    kind, _, who = deal.asking.partition(":")
    if kind in DEAL_FACTS:
        if any(c.kind == "fact" and c.key == kind for c in outcome.changes):
            return
        guess = next((c for c in turn.candidates if c.entity == kind and not c.about_asked), None)
        if guess is None or guess.value == getattr(deal, kind):
            return
        if guess.confidence >= CONTEXT_ACCEPT:
            outcome.changes.append(Change("fact", kind, guess.value))
            outcome.noted.append(_fact_noted(kb, kind, guess.value))
        elif guess.confidence >= CONTEXT_CHECK:
            outcome.check = {kind: str(guess.value)}
        return
    person = deal.stakeholder(who) if kind in ("stance", "met") else None
    if person is None or any(
        c.kind == "person" and name_key(c.key) == person.key and kind in c.data
        for c in outcome.changes
    ):
        return
    guess = next(
        (c for c in turn.candidates if c.entity == kind and c.about_asked),
        None,
    )
    if guess is None or guess.confidence < CONTEXT_PERSON:
        return
    value: Any = guess.value == "met" if kind == "met" else guess.value
    outcome.changes.append(Change("person", person.name, data={kind: value}))
    what = (
        kb.label("met", "met" if value else "not_met") if kind == "met" else kb.label(kind, value)
    )
    outcome.noted.append(kb.phrase("person_said", person=person.name, what=what))


def _fact_noted(kb: KnowledgeBase, fact: str, value: object) -> str:
    return kb.phrase("fact_value", fact=kb.fact_words(fact), value=kb.label(fact, value))


def _question_label(kb: KnowledgeBase, key: str) -> str:
    kind, _, rest = key.partition(":")
    if kind == "role":
        return kb.phrase("the_role", role=kb.label("role", rest))
    if kind in ("stance", "met"):
        return kb.phrase(f"person_{kind}_label", person=rest.title())
    return kb.fact_words(kind).capitalize()


def _read_deal_facts(
    kb: KnowledgeBase, deal: Deal, turn: Turn, entities: List[Entity], outcome: Outcome
) -> None:
    values: Dict[str, Any] = {}
    for entity in entities:
        name = entity.entity
        if name not in DEAL_FACTS:
            continue
        if entity.negated:
            if getattr(deal, name) == entity.value and name not in values:
                values[name] = None
            continue
        if (
            entity.source == "learned"
            and getattr(deal, name) is not None
            and turn.intent != "correction"
        ):
            # A model's guess never replaces a known fact: a pattern or a correction does.
            continue
        # Several values of one fact in a message: the last one said stands.
        values[name] = int(entity.value) if name == "employees" else entity.value
    if "employees" not in values and deal.asking == "company_size":
        count = parse_count(re.sub(r"^(about|around|roughly|approx\.?|~|maybe)\s+", "", turn.text))
        if count:
            values["employees"] = count
    if values.get("employees") and "company_size" not in values:
        values["company_size"] = kb.size_for(values["employees"])
    answer = yes_no_answer(kb, deal, turn) if not values else None
    if answer is not None and answer[0].entity:  # "Are we their supplier?" "yep, for years"
        values[answer[0].entity] = answer[1]
    for name in DEAL_FACTS:
        if name not in values or values[name] == getattr(deal, name):
            continue
        outcome.changes.append(Change("fact", name, values[name]))
        if values[name] is None:
            outcome.noted.append(kb.phrase("fact_cleared", fact=kb.fact_words(name)))
        elif name == "employees":
            outcome.noted.append(kb.phrase("employees", count=values[name]))
        elif name != "company_size" or "employees" not in values:
            outcome.noted.append(_fact_noted(kb, name, values[name]))


def _read_people(
    kb: KnowledgeBase, deal: Deal, turn: Turn, entities: List[Entity], outcome: Outcome
) -> None:
    people = [e for e in entities if e.entity == "person"]
    people += known_people(deal, turn.text, people)
    facts = [e for e in entities if e.entity in PERSON_FACTS]
    asked_person = _asked_person(deal)
    asked_role = deal.asking[5:] if deal.asking and deal.asking.startswith("role:") else None
    if not people and not facts:
        if asked_role and turn.intent in ("give_facts", "nlu_fallback", "correction"):
            name = turn.text.strip().strip(".!")
            # Words nobody understood (the fallback) count as a name only in Latin
            # letters: a greeting in another script is no decider. Names in any script
            # still come through the name recogniser, with their own intent.
            latin = all(unicodedata.name(c, "").startswith("LATIN") for c in name if c.isalpha())
            if turn.intent == "nlu_fallback" and not latin:
                name = ""
            group = _group_named(kb, turn.text)
            if group is not None:
                facts = [Entity("job_title", None, text=group, source="interview")]
            elif _NAME_LIKE.match(name) and len(name.split()) <= 4:
                people = [Entity("person", name, source="interview")]
        if not people and not facts:
            _read_yes_no_about_person(kb, deal, turn, asked_person, outcome)
            return

    anchors = _anchors(turn.text, people, facts)
    updates: Dict[str, Dict[str, Any]] = {}
    for anchor in anchors:
        updates.setdefault(anchor["name"], {"named": anchor["named"]})
        if anchor.get("title"):
            updates[anchor["name"]]["title"] = anchor["title"]
    for fact in facts:
        if fact.entity == "job_title":
            continue
        target = _owner_of(fact, anchors, turn.text, deal, asked_person)
        if target is None:
            continue
        update = updates.setdefault(target, {"named": True})
        if fact.entity == "role":
            key = "remove_roles" if fact.negated else "add_roles"
            update.setdefault(key, []).append(fact.value)
        elif fact.entity == "stance" and not fact.negated:
            update["stance"] = fact.value
        elif fact.entity == "met":
            update["met"] = fact.value == "met"
    if asked_role and len(updates) == 1:
        only = next(iter(updates.values()))
        # "Petra Lang is the CFO" names the CFO we knew: no answer to the question.
        names_a_known_title = only.get("title") and any(
            not s.named and s.title and name_key(s.title) == name_key(only["title"])
            for s in deal.stakeholders
        )
        if not only.get("add_roles") and not only.get("remove_roles") and not names_a_known_title:
            only["add_roles"] = [asked_role]
    _assume_title_roles(kb, deal, anchors, updates)

    for name, update in updates.items():
        _person_change(kb, deal, turn, name, update, outcome)


#: A group reply: up to three describing words before the group's word, then nothing
#: or a qualifier ("on each line", ", ~200 of them", "(all 40)").
_GROUP_REPLY = re.compile(
    r"^(?:(?:the|their|our|all|all the|mostly|mainly|probably|prob|i think|i guess|"
    r"i'd say|mainly the|mostly the)\s+)*"
    r"(?:[^\W\d_][\w'&-]*['’]s\s+)?"  # "julien's NDT technicians"
    r"(?P<group>(?:[^\W\d_][\w&-]*\s+){0,3}(?P<head>[^\W\d_][\w-]*))"
    r"(?P<rest>(?:\s*$|\s*[,(~\-–:;]|\s+(?:on|in|at|of|from|across|who|that|there|doing|"
    r"using|for|mostly|mainly|i think|probably|all day)\b).*)$",
    re.IGNORECASE,
)


#: Words that make a reply a sentence about someone, not a group's name.
_NOT_IN_A_GROUP = frozenset(
    "i you he she it we they nobody noone someone somebody everyone everybody anyone who"
    " what which not no don't dont idk".split()
)


def _group_named(kb: KnowledgeBase, text: str) -> str | None:
    """The group of people a short reply names ("the quality inspectors on each line":
    "quality inspectors"), or None."""
    said = " ".join(text.strip().strip(".!").split())
    said = re.sub(r"\s+(?:i think|i guess|i'd say|probably|mostly|tbh)$", "", said, flags=re.I)
    match = _GROUP_REPLY.match(said)
    if match is None or len(text.split()) > 12:
        return None
    head = match.group("head").lower()
    words = kb.groups.get("words", ())
    group = match.group("group")
    not_groups = set(kb.groups.get("not_groups", ())) | _NOT_IN_A_GROUP
    if any(w.lower() in not_groups for w in group.split()):
        return None
    if head in words or (len(head) > 3 and head.endswith("s") and not head.endswith("ss")):
        return group
    return None


def _assume_title_roles(
    kb: KnowledgeBase, deal: Deal, anchors: List[Dict[str, Any]], updates: Dict[str, Dict[str, Any]]
) -> None:
    """A person given a title and no role takes the title's usual role ("Petra is the
    CFO" -> decider), unless they hold roles already or the message denies it. The
    role is only assumed (``Stakeholder.assumed``): titles are a poor guide to who
    really decides (Bonoma 1982), so the brief and the advice say so and ask."""
    for anchor in anchors:
        implied = kb.implied_role(anchor.get("title_id"))
        update = updates.get(anchor["name"])
        if not implied or update is None or update.get("add_roles"):
            continue
        if implied in update.get("remove_roles", []):
            continue
        existing = deal.stakeholder(anchor["name"])
        if existing is None or not existing.roles:
            update["assume_roles"] = [implied]


def _asked_person(deal: Deal) -> Stakeholder | None:
    if deal.asking and deal.asking.split(":")[0] in ("stance", "met"):
        return deal.stakeholder(deal.asking.split(":", 1)[1])
    return None


def known_people(deal: Deal, text: str, found: Sequence[Entity] = ()) -> List[Entity]:
    """Stakeholders of the deal that the message names (full or first name, any case)
    and the name recogniser missed: "luc does that himself too" is Luc Delacroix."""
    taken = [(e.start, e.end) for e in found]
    out: List[Entity] = []
    for person in (p for p in deal.stakeholders if p.named):
        for form in dict.fromkeys([person.name, person.name.split()[0]]):
            if len(form) < 3:
                continue
            match = re.search(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text, re.IGNORECASE)
            if match is None:
                continue
            overlaps = any(
                s is not None and e is not None and s < match.end() and match.start() < e
                for s, e in taken
            )
            if not overlaps:
                out.append(
                    Entity("person", person.name, match.start(), match.end(), source="interview")
                )
                taken.append((match.start(), match.end()))
            break
    return out


def reply_yes_no(kb: KnowledgeBase, turn: Turn) -> bool | None:
    """A yes or a no to a yes/no question: by the intent, or by the reply's opening
    words ("yes, twice", "nope, only emails"; ``yes_no`` in knowledge/interview.yml).
    None for anything else, "no idea" included."""
    said = {"affirm": True, "deny": False}.get(turn.intent)
    if said is not None or turn.command:
        return said
    text = " ".join(re.sub(r"[^\w\s']", " ", turn.text.lower()).split())
    for kind in ("unsure", "no", "yes"):
        if any(text == w or text.startswith(w + " ") for w in kb.yes_no.get(kind, ())):
            return None if kind == "unsure" else kind == "yes"
    return None


def opening_value(kb: KnowledgeBase, deal: Deal, turn: Turn) -> str | None:
    """The value of the fact just asked that a reply opens with, as its button says it
    ("low really, it's soap" to "routine or strategic?" is low), whatever else it says."""
    question = kb.question(deal.asking) if deal.asking else None
    if question is None or not question.entity or question.entity not in DEAL_FACTS:
        return None
    raw = turn.text.lower().strip()
    for value in question.buttons:
        label = kb.label(question.entity, value).split(" (")[0].lower()
        for said in {value.replace("_", " "), label}:
            # The value alone, or set off by punctuation or a hedge: "need to ask them"
            # opens with no stage.
            if re.match(rf"{re.escape(said)}(?:\s*(?:$|[,.;:!?)(-])|\s+{_HEDGES}\b)", raw):
                return value
    return None


_HEDGES = r"(?:really|i think|i'd say|id say|probably|i guess|tbh|honestly|for them|mostly|overall)"


def yes_no_answer(kb: KnowledgeBase, deal: Deal, turn: Turn) -> Tuple[Question, str] | None:
    """The question asked and the value the reply gives it, when the question is a
    yes/no one (``yes`` and ``no`` in knowledge/interview.yml) and the reply a yes or
    a no."""
    question = kb.question(deal.asking) if deal.asking else None
    if question is None or question.yes is None or question.no is None:
        return None
    said = reply_yes_no(kb, turn)
    if said is None:
        return None
    return question, question.yes if said else question.no


def _read_yes_no_about_person(
    kb: KnowledgeBase, deal: Deal, turn: Turn, person: Stakeholder | None, outcome: Outcome
) -> None:
    answer = yes_no_answer(kb, deal, turn)
    if person and answer is not None and answer[0].per_person == "met":
        met = answer[1] == "met"
        outcome.changes.append(Change("person", person.name, data={"met": met}))
        what = kb.label("met", "met" if met else "not_met")
        outcome.noted.append(kb.phrase("person_said", person=person.name, what=what))


def _anchors(text: str, people: Sequence[Entity], facts: Sequence[Entity]) -> List[Dict[str, Any]]:
    """The people a message talks about: names, and titles standing without a name."""
    anchors = [
        {
            "name": str(p.value).strip(),
            "start": p.start,
            "end": p.end,
            "named": True,
            "title": None,
            "title_id": None,
        }
        for p in people
    ]
    for title in (f for f in facts if f.entity == "job_title"):
        owner = _name_beside(title, anchors) or _nearest(text, title, anchors, clause_only=True)
        label = str(title.text or title.value).strip()
        label = re.sub(r"^(the|our|their|a|an)\s+", "", label, flags=re.IGNORECASE)
        if owner is not None and owner["named"]:
            owner["title"] = owner["title"] or label
            if not title.negated:
                owner["title_id"] = owner["title_id"] or title.value
            continue
        anchors.append(
            {
                "name": label,
                "start": title.start,
                "end": title.end,
                "named": False,
                "title": label,
                "title_id": None if title.negated else title.value,
            }
        )
    return anchors


def _name_beside(title: Entity, anchors: List[Dict[str, Any]]) -> Dict[str, Any] | None:
    """The name written right next to a title: "Petra Lang, CFO", "Jan from proc"."""
    start, end = title.start, title.end
    if start is None or end is None:
        return None
    close = [
        a
        for a in anchors
        if a["named"]
        and a["start"] is not None
        and (0 <= start - (a["end"] or a["start"]) <= NAME_TITLE_GAP or 0 <= a["start"] - end <= 5)
    ]
    return close[0] if close else None


def _owner_of(
    fact: Entity,
    anchors: List[Dict[str, Any]],
    text: str,
    deal: Deal,
    asked_person: Stakeholder | None,
) -> str | None:
    owner = _nearest(text, fact, anchors, clause_only=True)
    if owner is not None:
        return owner["name"]
    if asked_person is not None and fact.entity in ("stance", "met"):
        return asked_person.name
    owner = _nearest(text, fact, anchors, clause_only=False)
    if owner is not None:
        return owner["name"]
    if asked_person is not None:
        return asked_person.name
    if deal.stakeholders and (_PRONOUN.search(text) or fact.entity in ("stance", "met")):
        return deal.stakeholders[-1].name
    return None


def _nearest(
    text: str, fact: Entity, anchors: List[Dict[str, Any]], clause_only: bool
) -> Dict[str, Any] | None:
    """The anchor ``fact`` is about: in its clause (or, failing that, anywhere in the
    message), the nearest one before it, else the nearest after it."""
    start = fact.start
    if start is None:
        return anchors[0] if len(anchors) == 1 else None
    if clause_only:
        clause = _clause_of(text, start)
        candidates = [
            a for a in anchors if a["start"] is not None and _clause_of(text, a["start"]) == clause
        ]
    else:
        candidates = [a for a in anchors if a["start"] is not None]
    before = [a for a in candidates if a["start"] <= start]
    if before:
        return max(before, key=lambda a: a["start"])
    after = [a for a in candidates if a["start"] > start]
    return min(after, key=lambda a: a["start"]) if after else None


def _clause_of(text: str, position: int) -> int:
    """The number of the clause ``position`` is in (clause breaks before it)."""
    return bisect.bisect_right(_clause_break_ends(text), position)


@functools.lru_cache(maxsize=4)
def _clause_break_ends(text: str) -> List[int]:
    # Found once per message: counting breaks again for every fact and every person
    # made a long message (20,000 characters) take minutes.
    return [match.end() for match in _CLAUSE_BREAK.finditer(text)]


def _person_change(
    kb: KnowledgeBase,
    deal: Deal,
    turn: Turn,
    name: str,
    update: Dict[str, Any],
    outcome: Outcome,
) -> None:
    existing = deal.stakeholder(name)
    data: Dict[str, Any] = {k: v for k, v in update.items() if k != "named"}
    target = name
    if existing is None and update.get("named", True) and update.get("title"):
        # "Petra Lang is the CFO" names the stakeholder we only knew as "CFO".
        unnamed = next(
            (
                s
                for s in deal.stakeholders
                if not s.named and s.title and name_key(s.title) == name_key(update["title"])
            ),
            None,
        )
        if unnamed is not None:
            target, data["rename"] = unnamed.name, name
    if existing is None and update.get("named", True) and "rename" not in data:
        same, rename = _same_person(deal, name, turn.text)
        if same is not None:
            target = same.name
            if rename:
                data["rename"] = rename
            existing = same
    if existing is None and not update.get("named", True):
        data["named"] = False
    adds = [r for r in data.pop("add_roles", []) if r not in data.get("remove_roles", [])]
    if turn.intent == "correction" and adds and existing is not None:
        data["roles"] = adds  # "no, Jan is the buyer": the buyer and nothing else
    else:
        data["add_roles"] = adds
    changes_something = any(data.get(k) not in (None, [], "") for k in _PERSON_FIELDS)
    if existing is not None and not changes_something:
        return
    outcome.changes.append(Change("person", target, data=data))
    outcome.noted.append(_describe_person(kb, deal, target, data))


def _same_person(deal: Deal, name: str, text: str) -> tuple[Stakeholder | None, str | None]:
    """A name that is a stakeholder we know under another form, and the fuller or
    corrected name to give them: "tomas" is Tomas Hruby; "tomas hruby" completes
    Tomas; "it's siobhan, not shivon" corrects Shivon Gallagher to Siobhan Gallagher."""
    words = name_key(name).split()
    named = [s for s in deal.stakeholders if s.named]
    for slip in re.finditer(r"\bnot\s+([^\W\d_][\w'-]*)", text, re.IGNORECASE):
        wrong = name_key(slip.group(1))
        meant = [s for s in named if s.key.split()[0] == wrong and wrong not in words]
        if len(meant) == 1:
            rest = meant[0].name.split()[1:] if len(words) == 1 else []
            return meant[0], " ".join([name, *rest])
    if len(words) == 1:
        fuller = [s for s in named if s.key.split()[0] == words[0]]
        return (fuller[0], None) if len(fuller) == 1 else (None, None)
    shorter = [s for s in named if s.key == words[0]]
    return (shorter[0], name) if len(shorter) == 1 else (None, None)


def _describe_person(kb: KnowledgeBase, deal: Deal, name: str, data: Dict[str, Any]) -> str:
    preview = Deal(owner="", company="", stakeholders=[_copy(s) for s in deal.stakeholders])
    apply_change(preview, Change("person", name, data=data))
    person = preview.stakeholder(str(data.get("rename", name)))
    assert person is not None
    text = person.name if person.named else kb.phrase("name_unknown", person=person.name)
    if person.title and person.named and name_key(person.title) != person.key:
        text += f" ({person.title})"
    details = []
    if person.roles:
        details.append(", ".join(_role_label(kb, person, r) for r in person.roles))
    elif data.get("remove_roles"):
        details.append(kb.phrase("no_longer", roles=", ".join(data["remove_roles"])))
    if data.get("stance"):
        details.append(kb.label("stance", data["stance"]))
    if "met" in data:
        details.append(kb.label("met", "met" if data["met"] else "not_met"))
    return text + (" - " + "; ".join(details) if details else "")


def _role_label(kb: KnowledgeBase, person: Stakeholder, role: str) -> str:
    label = kb.label("role", role)
    return kb.phrase("assumed_role", role=label) if role in person.assumed else label


def _copy(person: Stakeholder) -> Stakeholder:
    return Stakeholder(
        name=person.name,
        title=person.title,
        roles=list(person.roles),
        stance=person.stance,
        met=person.met,
        named=person.named,
        assumed=list(person.assumed),
    )
