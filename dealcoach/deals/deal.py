"""A deal as dealcoach knows it: facts about the client, the buying centre, the review state.

These are plain data classes; ``dealcoach.storage`` persists them and
``dealcoach.coaching.interview`` decides how a message changes them. Changes are values
(``Change``) so that the store can apply them atomically to the current state,
whatever another process wrote in between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List

from dealcoach.knowledge_base.vocabulary import DEAL_FACTS, ROLES

STATUSES = ("open", "paused", "complete")
#: How a role held only because of a job title is marked wherever it is shown.
ASSUMED = "assumed from the title"


def name_key(name: str) -> str:
    """How names are compared: case, punctuation, "the ... deal" and spacing do not matter."""
    text = name.lower().strip()
    text = re.sub(r"[^\w\s&-]", " ", text)
    text = re.sub(r"^(the)\s+", "", text)
    text = re.sub(r"\s+(deal|account|opportunity|opp)$", "", text.strip())
    return " ".join(text.split())


@dataclass
class Stakeholder:
    """A person in the client's buying centre. ``name`` may be a title when the name is unknown."""

    name: str
    title: str | None = None
    roles: List[str] = field(default_factory=list)
    stance: str = "unknown"
    met: bool | None = None
    named: bool = True  # False when ``name`` is only a title ("the CFO")
    #: Roles held only because the title usually holds them ("Petra is the CFO" ->
    #: decider), never confirmed by the salesperson: a default to check, not a fact.
    assumed: List[str] = field(default_factory=list)
    #: The store's identity for this person (None until stored), so that a change to
    #: them updates their row, even a change of name. Not part of what they are:
    #: two stakeholders with the same facts are equal whatever their ids.
    id: int | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return name_key(self.name)


@dataclass
class Deal:
    owner: str
    company: str
    id: int | None = None
    sector: str | None = None
    employees: int | None = None
    company_size: str | None = None
    purchase_situation: str | None = None
    supplier_position: str | None = None
    buying_stage: str | None = None
    perceived_risk: str | None = None
    #: Facts the salesperson skipped or does not know: "sector", "role:decider", "stance:<name>".
    unknown: List[str] = field(default_factory=list)
    #: The question the interview is waiting on, so that a resumed review continues there.
    asking: str | None = None
    #: How many times in a row ``asking`` has been put (the interview stops at two).
    asked: int = 0
    #: Questions put twice without an answer, left for the end of the interview.
    deferred: List[str] = field(default_factory=list)
    status: str = "open"
    stakeholders: List[Stakeholder] = field(default_factory=list)
    created_at: str | None = None
    updated_at: str | None = None

    def fact(self, name: str) -> object | None:
        return getattr(self, name) if name in DEAL_FACTS else None

    def stakeholder(self, name: str) -> Stakeholder | None:
        key = name_key(name)
        return next((s for s in self.stakeholders if s.key == key), None)

    def holders(self, role: str) -> List[Stakeholder]:
        return [s for s in self.stakeholders if role in s.roles]


@dataclass(frozen=True)
class Change:
    """One change to a deal, applied by the store inside a transaction.

    kind is one of:
      ``fact``        set the fact ``key`` to ``value`` (None clears it)
      ``unknown``     mark ``key`` as unknown (skipped / "I don't know")
      ``person``      create or update the stakeholder named ``key`` with ``data``
                      (``add_roles`` said outright, ``assume_roles`` from a title
                      only, ``remove_roles``, ``roles`` to replace them all)
      ``forget``      remove the stakeholder named ``key``
      ``asking``      remember the pending question ``value``, put for the
                      ``data["times"]``-th time in a row (1 when absent)
      ``defer``       leave the question ``key`` for later
      ``undefer``     bring every deferred question back
      ``status``      set the review status to ``value``
      ``company``     rename the deal to ``value``
    """

    kind: str
    key: str = ""
    value: object = None
    data: Dict[str, object] = field(default_factory=dict)


def apply_change(deal: Deal, change: Change) -> None:
    """Apply one change to a deal in memory (the store does the same in SQL)."""
    if change.kind == "fact":
        setattr(deal, change.key, change.value)
        _drop_unknown(deal, change.key)
    elif change.kind == "unknown":
        if change.key not in deal.unknown:
            deal.unknown.append(change.key)
    elif change.kind == "person":
        _apply_person(deal, change.key, change.data)
    elif change.kind == "forget":
        deal.stakeholders = [s for s in deal.stakeholders if s.key != name_key(change.key)]
    elif change.kind == "asking":
        deal.asking = change.value  # type: ignore[assignment]
        deal.asked = int(change.data.get("times", 1)) if change.value else 0  # type: ignore[call-overload]
    elif change.kind == "defer":
        if change.key not in deal.deferred:
            deal.deferred.append(change.key)
    elif change.kind == "undefer":
        deal.deferred = []
    elif change.kind == "status":
        deal.status = str(change.value)
    elif change.kind == "company":
        deal.company = str(change.value)
    else:
        raise ValueError(f"unknown change kind {change.kind!r}")


def _drop_unknown(deal: Deal, key: str) -> None:
    deal.unknown = [u for u in deal.unknown if u != key]


def _apply_person(deal: Deal, name: str, data: Dict[str, object]) -> None:
    person = deal.stakeholder(name)
    if person is None:
        person = Stakeholder(name=name, named=bool(data.get("named", True)))
        deal.stakeholders.append(person)
    if "rename" in data:
        person.name = str(data["rename"])
        person.named = True
    if data.get("title"):
        person.title = str(data["title"])
    if "roles" in data:
        person.roles = [r for r in ROLES if r in data["roles"]]  # type: ignore[operator]
        person.assumed = []  # a correction names the roles on the salesperson's word
    for role in data.get("assume_roles", ()):  # type: ignore[union-attr]
        if role not in person.roles:
            person.roles.append(str(role))
            person.assumed.append(str(role))
            _drop_unknown(deal, f"role:{role}")
    for role in data.get("add_roles", ()):  # type: ignore[union-attr]
        if role not in person.roles:
            person.roles.append(str(role))
            _drop_unknown(deal, f"role:{role}")
        if role in person.assumed:  # said outright: no longer only assumed
            person.assumed.remove(str(role))
    for role in data.get("remove_roles", ()):  # type: ignore[union-attr]
        if role in person.roles:
            person.roles.remove(str(role))
    person.roles = [r for r in ROLES if r in person.roles]
    person.assumed = [r for r in person.roles if r in person.assumed]
    if data.get("stance"):
        person.stance = str(data["stance"])
        _drop_unknown(deal, f"stance:{person.key}")
    if "met" in data and data["met"] is not None:
        person.met = bool(data["met"])
        _drop_unknown(deal, f"met:{person.key}")
