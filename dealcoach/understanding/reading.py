"""One message in, the entities of the contract out: rules and learned models combined.

``MessageReader.read(text)`` runs the knowledge base's rules (``extraction``), the
learned models (``learned``) and the name cues (``names``), all of
``dealcoach.understanding``, and combines them by this policy (thresholds in
``ReadingPolicy``, set in ``config.yml``):

1. **Rules first.** A fact a pattern found stands, with its span and negation: the
   patterns are the precise, reviewed phrases of ``knowledge/entities/``.
2. **Learned facts fill the gaps.** For each message-level fact type the rules left
   empty (buying stage, purchase situation, perceived risk, sector, size, supplier
   position), the learned model's best value is taken when its probability reaches
   ``accept`` (or that type's own threshold in ``accept_by_type``); in a long
   message, the types of ``clause_types`` take the best score of any one clause.
   Where rules and the model disagree on the client's sector, a model sure of its
   answer (``override``) while giving the rule's value almost nothing (``veto``)
   wins: "they ship containers for retailers" is logistics.
3. **Roles, stance and met belong to a person.** Each person named and each job
   title is a *mention*; the mention model scores what the message says about each.
   A value scored at least ``accept`` for a mention is that mention's, placed on the
   mention's span so that the interview gives it to that person. A role a pattern
   found goes to the mention the model finds likeliest to hold it (at least
   ``attach``), else stays where it was found. A value the rules deny for that
   person ("not the decider") is never added back.
4. **Roles the message model heard** that no mention claimed ("procurement guy there,
   Piotr, wants 3 quotes") go, like a rule's role, to the mention likeliest to hold
   them, or stay unplaced when nobody is mentioned ("whoever signs the PO").
5. **Candidates.** The best learned value of each fact type that was not taken, with
   its probability (at least ``candidate``), is passed on as ``fact_candidates``:
   the interview reads them in the light of the question it just asked. A message
   naming nobody also gets the stance and met it gives the person just asked about
   (``about: asked``): "yes, met him twice" answers "Have you met Jan?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Sequence, Tuple

from dealcoach.understanding.extraction import EntityExtractor
from dealcoach.understanding.learned import LearnedReader, Mention
from dealcoach.understanding.names import NameResolver
from dealcoach.understanding.turns import Candidate, Entity, candidate_to_wire, entity_to_wire

#: Fact types that hold one value per deal (the best learned value is the one).
SINGLE_VALUED = (
    "buying_stage",
    "purchase_situation",
    "perceived_risk",
    "sector",
    "company_size",
    "supplier_position",
)
PERSON_TYPES = ("role", "stance", "met")
#: A title this close after a name is the same mention ("Petra Lang, CFO").
SAME_MENTION_GAP = 12
#: Where a message breaks into clauses: sentence ends, dashes, commas, brackets.
_CLAUSE_BREAK = re.compile(r"[.;!?]+\s+|\s+[-\u2013\u2014]+\s+|,\s+|\s+\(|\)\s*")


#: Intents whose messages carry deal facts: only there do the learned models add facts
#: ("need some help using this" is help, not the need stage).
FACT_INTENTS = (
    "give_facts",
    "correction",
    "start_review",
    "update_deal",
    "ask_advice",
    "deal_brief",
    "out_of_scope",
    "nlu_fallback",
)


@dataclass(frozen=True)
class ReadingPolicy:
    accept: float = 0.5
    #: Per fact type, where the models' scores are calibrated differently (measured on
    #: blind blocks 1 and 2, see docs/benchmarks.md): a missed "challenger" costs less
    #: evidence than a guessed "high risk", which the model says of most big buys.
    accept_by_type: Tuple[Tuple[str, float], ...] = (
        ("supplier_position", 0.3),
        ("perceived_risk", 0.7),
        ("role", 0.6),
        ("met", 0.6),
    )
    override: float = 0.9
    veto: float = 0.05
    attach: float = 0.2
    candidate: float = 0.1
    fact_intents: Tuple[str, ...] = FACT_INTENTS
    #: Fact types also read clause by clause in long messages (at least
    #: ``clause_words`` words): the facts model averages over the whole message, so in
    #: a 40-word message of five facts the one clause saying "they've never outsourced
    #: it" is drowned. Measured on blocks 1 and 2: purchase situation 0.70 -> 0.81 and
    #: 0.72 -> 0.79; the buying stage and risk lost as much as they gained.
    clause_types: Tuple[str, ...] = ("purchase_situation",)
    clause_words: int = 12

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> ReadingPolicy:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values: Dict[str, Any] = {}
        for key, value in known.items():
            if key in ("fact_intents", "clause_types"):
                values[key] = tuple(value)
            elif key == "clause_words":
                values[key] = int(value)
            elif key == "accept_by_type":
                values[key] = tuple((str(t), float(p)) for t, p in dict(value).items())
            else:
                values[key] = float(value)
        return cls(**values)

    def accept_for(self, fact_type: str) -> float:
        """The least score at which a learned value of ``fact_type`` is taken."""
        return dict(self.accept_by_type).get(fact_type, self.accept)


@dataclass
class Reading:
    """What one message says: its intents (best first, with confidence), Rasa-style
    entity dicts, and the untaken best guesses of facts."""

    intents: List[Tuple[str, float]] = field(default_factory=list)
    entities: List[Dict[str, Any]] = field(default_factory=list)
    candidates: List[Dict[str, Any]] = field(default_factory=list)


class MessageReader:
    def __init__(
        self,
        rules: EntityExtractor,
        learned: LearnedReader | None,
        names: NameResolver,
        policy: ReadingPolicy | None = None,
    ) -> None:
        self.rules = rules
        self.learned = learned
        self.names = names
        self.policy = policy or ReadingPolicy()

    def read(self, text: str, names: Sequence[Dict[str, Any]] = ()) -> Reading:
        """Read ``text``; ``names``: names another component found (used without a model)."""
        found = [_as_dict(e) for e in self.rules.extract(text)]
        if self.learned is None:
            resolved = self.names.resolve(text, [dict(n) for n in names], found)
            return Reading(entities=found + resolved)
        learned = self.learned.read_message(text)
        names = [
            {"entity": label, "value": text[s:e], "start": s, "end": e, "confidence_entity": 1.0}
            for s, e, label in learned.names
        ]
        resolved = self.names.resolve(text, names, found)
        if resolved and only_names(text, resolved):
            # "jana dvořáková", "bluegum hardware": a bare name gives the intent model
            # nothing to go on (it said greet, pause, rename_deal for such): no intent,
            # so the conversation decides what the name answers.
            learned = replace(learned, intents=[(name, 0.0) for name, _ in learned.intents])
        intent = learned.intents[0][0] if learned.intents else None
        # A broken button payload ("/give_facts[]") reaches us as text: the rules may
        # read it, the models' guesses may not.
        if intent not in self.policy.fact_intents or text.lstrip().startswith("/"):
            return Reading(learned.intents, found + resolved)
        # The models guess from the words the rules did not read: "2k staff" is a
        # head count and nothing else, whatever sector the facts model leans to.
        scores = learned.facts if words_left_unread(text, found + resolved) else {}
        facts, candidates = self._message_facts(found, self._with_clauses(text, scores))
        people = self._person_facts(text, facts, resolved, scores)
        if not _mentions(resolved, facts) and scores:
            candidates += self._answer_candidates(text)
        return Reading(learned.intents, people + resolved, candidates)

    def _with_clauses(self, text: str, scores: Dict[str, float]) -> Dict[str, float]:
        """The message's fact scores, raised for ``clause_types`` to the best any of its
        clauses (split at punctuation, which every language writes) gets alone."""
        assert self.learned is not None
        policy = self.policy
        if not scores or not policy.clause_types or len(text.split()) < policy.clause_words:
            return scores
        clauses = [c for c in _CLAUSE_BREAK.split(text) if c and len(c.split()) >= 3]
        if len(clauses) < 2:
            return scores
        raised = dict(scores)
        for clause in clauses:
            for label, p in self.learned.read_facts(clause).items():
                if label.split("=", 1)[0] in policy.clause_types and p > raised.get(label, 0.0):
                    raised[label] = p
        return raised

    def _answer_candidates(self, text: str) -> List[Dict[str, Any]]:
        """Stance and met for whoever the question just named ("yes, a big fan"): the
        best of each, marked ``about: asked``, for the interview to weigh."""
        assert self.learned is not None
        scores = self.learned.read_answer(text)
        out = []
        for fact_type in ("stance", "met"):
            ranked = sorted(
                ((p, label.split("=", 1)[1]) for label, p in scores.items()
                 if label.startswith(fact_type + "=")),
                reverse=True,
            )  # fmt: skip
            if ranked and ranked[0][0] >= self.policy.candidate:
                p, value = ranked[0]
                out.append(candidate_to_wire(Candidate(fact_type, value, p, about_asked=True)))
        return out

    # --- message-level facts -----------------------------------------------------

    def _message_facts(
        self, found: List[Dict[str, Any]], scores: Dict[str, float]
    ) -> tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
        policy = self.policy
        facts = list(found)
        candidates = []
        for fact_type in SINGLE_VALUED:
            ranked = sorted(
                ((p, label.split("=", 1)[1]) for label, p in scores.items()
                 if label.startswith(fact_type + "=")),
                reverse=True,
            )  # fmt: skip
            if not ranked:
                continue
            best_p, best = ranked[0]
            stated = [f for f in facts if f["entity"] == fact_type and not f.get("negated")]
            if stated and fact_type == "sector":
                rule_p = max(scores.get(f"sector={f['value']}", 0.0) for f in stated)
                if (
                    best_p >= policy.override
                    and rule_p <= policy.veto
                    and best not in {f["value"] for f in stated}
                ):
                    facts = [f for f in facts if f not in stated]
                    facts.append(_learned(fact_type, best, best_p))
                continue
            if stated:
                continue
            denied = {f["value"] for f in facts if f["entity"] == fact_type and f.get("negated")}
            if best_p >= policy.accept_for(fact_type) and best not in denied:
                facts.append(_learned(fact_type, best, best_p))
            elif best_p >= policy.candidate and best not in denied:
                candidates.append(candidate_to_wire(Candidate(fact_type, best, best_p)))
        return facts, candidates

    # --- people ------------------------------------------------------------------

    def _person_facts(
        self,
        text: str,
        facts: List[Dict[str, Any]],
        names: List[Dict[str, Any]],
        scores: Dict[str, float],
    ) -> List[Dict[str, Any]]:
        assert self.learned is not None
        policy = self.policy
        mentions = _mentions(names, facts)
        mention_scores = self.learned.read_mentions(
            text, [Mention(m["start"], m["end"]) for m in mentions]
        )
        person_facts = [f for f in facts if f["entity"] in PERSON_TYPES]
        others = [f for f in facts if f["entity"] not in PERSON_TYPES]
        kept: List[Dict[str, Any]] = []
        for fact in person_facts:
            if fact.get("negated") or fact["entity"] != "role" or not mentions:
                kept.append(fact)
                continue
            label = f"role={fact['value']}"
            best = max(range(len(mentions)), key=lambda i: mention_scores[i].get(label, 0.0))
            if mention_scores[best].get(label, 0.0) >= policy.attach:
                kept.append(_on_mention(fact, mentions[best]))
            else:
                kept.append(fact)
        for mention, scored in zip(mentions, mention_scores, strict=True):
            denied = {
                (f["entity"], f["value"]) for f in kept if f.get("negated") and _at(f, mention)
            }
            have = {(f["entity"], f["value"]) for f in kept if _at(f, mention)}
            for label, p in scored.items():
                fact_type, value = label.split("=", 1)
                if p < policy.accept_for(fact_type) or (fact_type, value) in denied | have:
                    continue
                if fact_type in ("stance", "met") and any(
                    f["entity"] == fact_type and _at(f, mention) for f in kept
                ):
                    continue  # the rules already read this person's stance / meeting
                kept.append(_on_mention(_learned(fact_type, value, p), mention))
        stated = {f["value"] for f in kept if f["entity"] == "role" and not f.get("negated")}
        for label, p in scores.items():
            fact_type, value = label.split("=", 1)
            if fact_type != "role" or p < policy.accept_for("role") or value in stated:
                continue
            # The message model heard the role but no mention claimed it: give it to
            # the mention likeliest to hold it, as with a role the rules found.
            fact = _learned("role", value, p)
            if mentions:
                best = max(range(len(mentions)), key=lambda i: mention_scores[i].get(label, 0.0))
                denied = any(
                    f.get("negated") and f["value"] == value and _at(f, mentions[best])
                    for f in kept
                )
                if denied:
                    continue
                if mention_scores[best].get(label, 0.0) >= policy.attach:
                    fact = _on_mention(fact, mentions[best])
            kept.append(fact)
        return others + kept


def _as_dict(entity: Entity) -> Dict[str, Any]:
    """A rule's entity as the component sends it on (the wire format of ``turns``)."""
    return entity_to_wire(entity)


def _learned(fact_type: str, value: str, p: float) -> Dict[str, Any]:
    return entity_to_wire(Entity(fact_type, value, confidence=p, source="learned"))


def _mentions(names: List[Dict[str, Any]], facts: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """People named and job titles, a title right beside a name folded into it."""
    people = [n for n in names if n["entity"] == "person"]
    mentions = [dict(p) for p in people]
    for title in (f for f in facts if f["entity"] == "job_title" and not f.get("negated")):
        beside = any(
            0 <= title["start"] - p["end"] <= SAME_MENTION_GAP
            or 0 <= p["start"] - title["end"] <= 2
            for p in people
        )
        if not beside:
            mentions.append(dict(title))
    return sorted(mentions, key=lambda m: m["start"])


def _on_mention(fact: Dict[str, Any], mention: Dict[str, Any]) -> Dict[str, Any]:
    return {**fact, "start": mention["start"], "end": mention["end"], "mention": True}


def _at(fact: Dict[str, Any], mention: Dict[str, Any]) -> bool:
    return fact.get("mention") is True and fact.get("start") == mention["start"]


#: Words that carry no fact of their own.
_FILLER = frozenset(
    "they them their the and about around roughly approx some with have has are its our "
    "for that this there just like maybe probably think guess also".split()
)


def only_names(text: str, names: Sequence[Dict[str, Any]]) -> bool:
    """Whether ``text`` is names and nothing else, punctuation aside."""
    rest = text
    for name in names:
        start, end = name.get("start"), name.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
            rest = rest[:start] + " " * (end - start) + rest[end:]
    return not re.findall(r"[^\W_]+", rest)


def words_left_unread(text: str, read: Sequence[Dict[str, Any]]) -> List[str]:
    """The words of ``text`` outside every span already read (``start``/``end``),
    fillers aside: the only ground the learned models have for a fact of their own."""
    lowered = text.lower()
    for entity in read:
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
            lowered = lowered[:start] + " " * (end - start) + lowered[end:]
    return [w for w in re.findall(r"[^\W\d_]{3,}", lowered) if w not in _FILLER]
