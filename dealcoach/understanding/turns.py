"""One message as the coach sees it: a typed ``Turn`` of typed ``Entity`` values.

The understanding (``extraction`` and ``reading``, beside this module) produces
``Entity`` values and the interview reads them; between the two, Rasa carries a
message as JSON in its tracker. That JSON is the wire format, and this module is the
only place that writes it (``entity_to_wire``, ``candidate_to_wire``) or reads it back
(``turn_from_message``, which also checks every value with ``entity_check``: a
salesperson can type any button payload by hand). Everything else passes the
dataclasses, so the keys ``negated``, ``source``, ``text`` are fields a type checker
sees, not strings two components must spell alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterable, List, Mapping

from dealcoach.knowledge_base.loader import KnowledgeBase
from dealcoach.understanding.entity_check import checked_value

#: Where an entity came from: a knowledge pattern, a count, a concept alias, a
#: learned model, the name recogniser, a button payload or the interview itself.
SOURCES = ("pattern", "count", "concept", "learned", "name", "payload", "interview")


@dataclass(frozen=True)
class Entity:
    """One thing a message says: ``entity`` is its type (``role``, ``company``...),
    ``value`` a canonical id, a count or a name as written (None only for a group of
    people the interview names by their words alone, with ``text``)."""

    entity: str
    value: Any
    start: int | None = None
    end: int | None = None
    text: str | None = None
    source: str = "payload"
    #: The message denies it: "not the decider", "isn't a new purchase".
    negated: bool = False
    confidence: float = 1.0
    #: Placed on a person's mention by the understanding: it is that person's.
    mention: bool = False

    def at(self, start: int | None, end: int | None) -> Entity:
        """The same entity on another span (a person's mention)."""
        return replace(self, start=start, end=end, mention=True)


@dataclass(frozen=True)
class Candidate:
    """A value the understanding guessed but did not take, with its probability; the
    interview weighs it against the question it just asked. ``about_asked``: stance
    or met of the person the last question named ("yes, met him twice")."""

    entity: str
    value: str
    confidence: float
    about_asked: bool = False


@dataclass
class Turn:
    """One user message: the intent, what it says, its text."""

    intent: str
    entities: List[Entity] = field(default_factory=list)
    text: str = ""
    #: The intent was an explicit command ("update Globex: ..."), not a guess.
    command: bool = False
    candidates: List[Candidate] = field(default_factory=list)

    def deal_facts(self) -> List[Entity]:
        """What the message says about a deal (not which deal, not a concept)."""
        return [e for e in self.entities if e.entity not in ("company", "concept")]

    def company(self) -> str | None:
        """The client the message names, if any."""
        names = [str(e.value).strip() for e in self.entities if e.entity == "company"]
        return names[0] if names and names[0] else None

    def values(self, kind: str) -> List[Any]:
        """The values of every ``kind`` entity the message asserts (denied ones aside)."""
        return [e.value for e in self.entities if e.entity == kind and not e.negated]

    def without(self, kind: str) -> Turn:
        """The same message with no ``kind`` entities (a client name taken for an answer)."""
        return replace(self, entities=[e for e in self.entities if e.entity != kind])


# --- the wire format (Rasa's tracker JSON) ----------------------------------------


def entity_to_wire(entity: Entity, extractor: str | None = None) -> Dict[str, Any]:
    """The entity as Rasa carries it in a parsed message."""
    wire: Dict[str, Any] = {
        "entity": entity.entity,
        "value": entity.value,
        "confidence_entity": round(float(entity.confidence), 4),
        "source": entity.source,
    }
    if entity.start is not None and entity.end is not None:
        wire["start"], wire["end"] = entity.start, entity.end
    if entity.text is not None:
        wire["text"] = entity.text
    if entity.negated:
        wire["negated"] = True
    if entity.mention:
        wire["mention"] = True
    if extractor:
        wire["extractor"] = extractor
    return wire


def candidate_to_wire(candidate: Candidate) -> Dict[str, Any]:
    wire: Dict[str, Any] = {
        "entity": candidate.entity,
        "value": candidate.value,
        "confidence": round(float(candidate.confidence), 4),
    }
    if candidate.about_asked:
        wire["about"] = "asked"
    return wire


def entity_from_wire(kb: KnowledgeBase, wire: Any) -> Entity | None:
    """The entity a parsed message carries, if its type and value are ones the deal
    model can hold (``dealcoach.understanding.entity_check``); None otherwise."""
    if not isinstance(wire, Mapping) or not isinstance(wire.get("entity"), str):
        return None
    value = checked_value(kb, wire["entity"], wire.get("value"))
    if value is None:
        return None
    start, end = wire.get("start"), wire.get("end")
    spanned = isinstance(start, int) and isinstance(end, int) and 0 <= start <= end
    text = wire.get("text")
    source = wire.get("source")
    confidence = wire.get("confidence_entity")
    return Entity(
        entity=wire["entity"],
        value=value,
        start=start if spanned else None,
        end=end if spanned else None,
        text=text if isinstance(text, str) else None,
        # Rasa's own extractors and hand-typed payloads carry no source of ours.
        source=source if source in SOURCES else "payload",
        negated=wire.get("negated") is True,
        confidence=float(confidence) if isinstance(confidence, int | float) else 1.0,
        mention=wire.get("mention") is True,
    )


def candidate_from_wire(kb: KnowledgeBase, wire: Any) -> Candidate | None:
    if not isinstance(wire, Mapping) or not isinstance(wire.get("entity"), str):
        return None
    value = checked_value(kb, wire["entity"], wire.get("value"))
    confidence = wire.get("confidence")
    if not isinstance(value, str) or not isinstance(confidence, int | float):
        return None
    return Candidate(wire["entity"], value, float(confidence), wire.get("about") == "asked")


def entities_from_wire(kb: KnowledgeBase, wires: Iterable[Any]) -> List[Entity]:
    return [e for e in (entity_from_wire(kb, w) for w in wires) if e is not None]


def turn_from_message(kb: KnowledgeBase, message: Mapping[str, Any]) -> Turn:
    """The turn a parsed message (Rasa's ``latest_message``) is, every value checked."""
    intent = message.get("intent") or {}
    return Turn(
        intent=str(intent.get("name") or "") if isinstance(intent, Mapping) else "",
        entities=entities_from_wire(kb, message.get("entities") or []),
        text=str(message.get("text") or ""),
        command=bool(message.get("command")),
        candidates=[
            c
            for c in (candidate_from_wire(kb, w) for w in message.get("fact_candidates") or [])
            if c is not None
        ],
    )
