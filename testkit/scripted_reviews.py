"""Whole deal reviews, scripted: play them against the bot, score the deal it stored.

A scripted review (``tests/nlu/blind/*/reviews.yml``) is what one salesperson says
about one deal: ``turns`` sent one by one whatever the coach asks, then ``answers``
per question topic, used when the coach asks about that topic (a first phrasing, a
second one if it asks again), and the deal as it should be stored (``expected``).

``play`` drives a conversation through any ``send`` function (the REST webhook in
``make eval``) like a salesperson who types: it never clicks a button, answers a
yes/no check of the coach's reading by comparing it with what it meant, and says
"I don't know" to a question it has no answer for, in the review's language (a Dutch
review's salesperson says "ja", "nee", "weet ik niet"). ``score`` compares the stored
deal (as ``dealcoach export`` gives it) with ``expected``, fact by fact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

from dealcoach.deals.deal import DEAL_FACTS, name_key
from dealcoach.knowledge_base.languages import DEFAULT_LANGUAGE, LANGUAGES
from dealcoach.knowledge_base.loader import KnowledgeBase
from dealcoach.knowledge_base.yaml_files import read_yaml

#: Deal-level facts a scripted review can expect: the deal's own.
DEAL_FACT_KEYS = DEAL_FACTS
#: A review stops after this many messages, whatever the coach still asks.
MAX_MESSAGES = 45
DONT_KNOW = "i don't know"
#: What the scripted salesperson types for yes, no and "I don't know", per language.
SALESPERSON_WORDS = {
    "en": ("yes", "no", DONT_KNOW),
    "nl": ("ja", "nee", "weet ik niet"),
}

Send = Callable[[str], List[Dict[str, Any]]]


@dataclass
class Review:
    id: str
    company: str
    turns: List[str]
    answers: Dict[str, Any]
    expected: Dict[str, Any]
    language: str = DEFAULT_LANGUAGE


@dataclass
class Played:
    """What happened in one scripted review."""

    review: Review
    messages: List[Tuple[str, str]] = field(default_factory=list)  # (who, text)
    asked: List[str] = field(default_factory=list)  # question keys, in the order asked
    checks: int = 0  # yes/no checks of the coach's reading

    @property
    def longest_repeat(self) -> int:
        """The most times one question was asked in a row."""
        longest, run = 0, 0
        for i, key in enumerate(self.asked):
            run = run + 1 if i and self.asked[i - 1] == key else 1
            longest = max(longest, run)
        return longest


@dataclass
class FactResult:
    fact: str
    expected: Any
    stored: Any

    @property
    def right(self) -> bool:
        if isinstance(self.expected, list):
            return isinstance(self.stored, list) and self.expected[0] in self.stored
        return self.expected == self.stored


@dataclass
class Scored:
    review: str
    facts: List[FactResult]
    extra_people: List[str]
    extra_roles: List[str]

    @property
    def right(self) -> int:
        return sum(f.right for f in self.facts)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "review": self.review,
            "facts": len(self.facts),
            "right": self.right,
            "wrong": [
                {"fact": f.fact, "expected": f.expected, "stored": f.stored}
                for f in self.facts
                if not f.right
            ],
            "extra_people": self.extra_people,
            "extra_roles": self.extra_roles,
        }


def load_reviews(path: Path | str, language: str = DEFAULT_LANGUAGE) -> List[Review]:
    """The reviews of one file; ``language`` is the one its salesperson writes in."""
    data = read_yaml(path)
    return [
        Review(
            id=str(raw["id"]),
            company=str(raw["company"]),
            turns=[str(t) for t in raw["turns"]],
            answers=raw.get("answers") or {},
            expected=raw.get("expected") or {},
            language=language,
        )
        for raw in data["reviews"]
    ]


# --- playing ----------------------------------------------------------------------


class QuestionReader:
    """Tells which interview question a bot message is, from the knowledge base's texts
    in every language (a Dutch question has the same key as its English one)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._patterns = []
        views = [kb.in_language(language) for language in LANGUAGES]
        for question in (q for view in views for q in view.questions):
            template = re.escape(question.ask)
            template = template.replace(r"\{company\}", ".+?").replace(r"\{name\}", "(?P<name>.+?)")
            self._patterns.append((question, re.compile(f"^{template}$", re.DOTALL)))

    def key(self, text: str) -> str | None:
        for question, pattern in self._patterns:
            match = pattern.match(text.strip())
            if match:
                if question.per_person:
                    return f"{question.per_person}:{match.group('name')}"
                return question.key
        return None


def proposed_values(reply: Dict[str, Any], kb: KnowledgeBase) -> Dict[str, Any] | None:
    """The reading a yes/no check proposes (its Yes button's entities), or None. The
    buttons are told by the first word of the knowledge base's Yes and No in every
    language ("Yes", "Ja")."""
    views = [kb.in_language(language) for language in LANGUAGES]
    yes_words = {_first_word(v.phrase("button_yes").lower()) for v in views}
    no_words = {_first_word(v.phrase("button_no").lower()) for v in views}
    titles = {str(b.get("title", "")).lower(): b for b in reply.get("buttons") or []}
    yes = next((b for t, b in titles.items() if _first_word(t) in yes_words), None)
    if yes is None or not any(_first_word(t) in no_words for t in titles):
        return None
    payload = str(yes.get("payload", ""))
    start = payload.find("{")
    return json.loads(payload[start:]) if start >= 0 else {}


def _first_word(title: str) -> str:
    match = re.match(r"\w+", title)
    return match.group(0) if match else ""


def _answers_for(review: Review, key: str) -> List[str]:
    kind, _, rest = key.partition(":")
    if kind == "role":
        return list(review.answers.get(rest) or [])
    if kind in ("stance", "met"):
        by_person = review.answers.get(kind) or {}
        for name, phrasings in by_person.items():
            if name_key(name) == name_key(rest) or _same_person(name, rest):
                return list(phrasings or [])
        return []
    return list(review.answers.get(key) or [])


def _same_person(a: str, b: str) -> bool:
    """ "Jonas" and "Jonas Berg" are the same person to a salesperson answering."""
    wa, wb = set(name_key(a).split()), set(name_key(b).split())
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa)


def _means(review: Review, proposal: Dict[str, Any]) -> bool:
    """Whether a proposed reading is what the salesperson meant (as ``expected`` says)."""
    expected = review.expected
    for entity, value in proposal.items():
        if entity == "person":
            continue
        if entity == "role":
            person = proposal.get("person")
            holders = [
                p
                for p in expected.get("stakeholders") or []
                if value in (p.get("roles") or [])
                and (person is None or _same_person(str(p.get("name") or p.get("title")), person))
            ]
            if not holders:
                return False
        elif entity in DEAL_FACT_KEYS and expected.get(entity) != value:
            return False
    return True


def play(
    kb: KnowledgeBase, review: Review, send: Send, client_question: Sequence[str] | str = ""
) -> Played:
    """Run one scripted review through ``send`` (one message in, the bot's replies out).

    ``client_question``: the start of the bot's "which client?" question (one per
    language); the salesperson answers it with the client's name (twice at most)."""
    starts = [client_question] if isinstance(client_question, str) else list(client_question)
    starts = [s for s in starts if s]
    yes_word, no_word, dont_know = SALESPERSON_WORDS[review.language]
    played = Played(review)
    reader = QuestionReader(kb)
    used: Dict[str, int] = {}
    replies: List[Dict[str, Any]] = []
    named_client = 0

    def say(text: str) -> None:
        nonlocal replies, named_client
        played.messages.append(("you", text))
        replies = send(text)
        for reply in replies:
            played.messages.append(("bot", str(reply.get("text") or "")))
            key = reader.key(str(reply.get("text") or ""))
            if key:
                played.asked.append(key)
        asks_client = any(
            str(r.get("text") or "").startswith(start) for r in replies for start in starts
        )
        if asks_client and named_client < 2:
            named_client += 1
            say(review.company)

    for turn in review.turns:
        say(turn)
    while len([m for m in played.messages if m[0] == "you"]) < MAX_MESSAGES:
        proposals = (proposed_values(r, kb) for r in replies)
        proposal = next((p for p in proposals if p is not None), None)
        if proposal is not None:
            played.checks += 1
            say(yes_word if _means(review, proposal) else no_word)
            continue
        keys = [reader.key(str(r.get("text") or "")) for r in replies]
        key = next((k for k in reversed(keys) if k), None)
        if key is None:
            break  # no question: the review is complete (or the bot is lost)
        phrasings = _answers_for(review, key)
        count = used.get(key, 0)
        used[key] = count + 1
        say(phrasings[count] if count < len(phrasings) else dont_know)
    return played


# --- scoring ----------------------------------------------------------------------


def score(review: Review, stored: Dict[str, Any] | None) -> Scored:
    """Each expected fact right or wrong in the stored deal; what was stored besides."""
    stored = stored or {"stakeholders": []}
    facts = [
        FactResult(key, review.expected[key], stored.get(key))
        for key in DEAL_FACT_KEYS
        if review.expected.get(key) is not None
    ]
    people = list(stored.get("stakeholders") or [])
    matched: List[int] = []
    for person in review.expected.get("stakeholders") or []:
        index = _match_person(person, people, matched)
        found = people[index] if index is not None else {}
        if index is not None:
            matched.append(index)
        label = str(person.get("name") or person.get("title"))
        if person.get("name"):
            facts.append(FactResult(f"{label}: name", person["name"].lower(), _stored_name(found)))
        for role in person.get("roles") or []:
            facts.append(FactResult(f"{label}: role", [role], found.get("roles") or []))
        if person.get("stance"):
            facts.append(FactResult(f"{label}: stance", person["stance"], found.get("stance")))
        if person.get("met") is not None:
            facts.append(FactResult(f"{label}: met", bool(person["met"]), found.get("met")))
    extra_people = [
        str(p.get("name") or p.get("title")) for i, p in enumerate(people) if i not in matched
    ]
    extra_roles = []
    for person in review.expected.get("stakeholders") or []:
        index = _match_person(person, people, [])
        if index is None:
            continue
        for role in people[index].get("roles") or []:
            if role not in (person.get("roles") or []):
                extra_roles.append(f"{person.get('name') or person.get('title')}: {role}")
    return Scored(review.id, facts, extra_people, extra_roles)


def _stored_name(person: Dict[str, Any]) -> str | None:
    name = person.get("name")
    return " ".join(str(name).lower().split()) if name else None


def _match_person(
    expected: Dict[str, Any], people: Sequence[Dict[str, Any]], taken: Sequence[int]
) -> int | None:
    """The stored stakeholder that is this expected one: by name, else by title."""
    name, title = expected.get("name"), expected.get("title")
    best, best_overlap = None, 0.0
    for i, person in enumerate(people):
        if i in taken:
            continue
        if name and person.get("name"):
            overlap = _overlap(str(name), str(person["name"]))
        elif not name and title and not person.get("name"):
            overlap = _overlap(str(title), str(person.get("title") or ""))
        else:
            overlap = 0.0
        if overlap > best_overlap:
            best, best_overlap = i, overlap
    return best


def _overlap(a: str, b: str) -> float:
    wa, wb = set(name_key(a).split()), set(name_key(b).split())
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


@dataclass
class ReviewReport:
    scored: List[Scored]
    played: List[Played]

    @property
    def facts(self) -> int:
        return sum(len(s.facts) for s in self.scored)

    @property
    def right(self) -> int:
        return sum(s.right for s in self.scored)

    @property
    def share_right(self) -> float:
        return self.right / self.facts if self.facts else 0.0

    @property
    def repeated_thrice(self) -> int:
        """Reviews in which one question came three or more times in a row."""
        return sum(p.longest_repeat >= 3 for p in self.played)

    def summary(self) -> Dict[str, Any]:
        return {
            "reviews": len(self.scored),
            "facts": self.facts,
            "right": self.right,
            "share_right": round(self.share_right, 4),
            "reviews_with_a_question_3_times_in_a_row": self.repeated_thrice,
            "extra_people": sum(len(s.extra_people) for s in self.scored),
            "extra_roles": sum(len(s.extra_roles) for s in self.scored),
            "messages": sum(len([m for m in p.messages if m[0] == "you"]) for p in self.played),
            "checks": sum(p.checks for p in self.played),
        }


def run_reviews(
    kb: KnowledgeBase,
    reviews: Sequence[Review],
    send_as: Callable[[str], Send],
    stored_deal: Callable[[str, str], Dict[str, Any] | None],
    client_question: Sequence[str] | str = "",
    prefix: str = "",
) -> ReviewReport:
    """Play every review as its own salesperson (sender ``review-<prefix><id>``: give
    each file its own prefix, its ids repeat another's) and score it.

    ``send_as(sender)`` gives that salesperson's ``send``; ``stored_deal(sender,
    company)`` the deal stored for them afterwards, as ``dealcoach export`` shows it."""
    scored, played_all = [], []
    for review in reviews:
        sender = f"review-{prefix}{review.id}"
        played = play(kb, review, send_as(sender), client_question)
        played_all.append(played)
        scored.append(score(review, stored_deal(sender, review.company)))
    return ReviewReport(scored, played_all)
