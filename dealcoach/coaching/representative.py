"""Representative deals: the advice engine checked on deals a sales trainer would recognise.

``knowledge/advice/deals/*.yml`` holds a table of deals (small and large, routine
and strategic, each purchase situation and stage, public and private, roles known,
unknown, met or only assumed from a title). Each deal lists:

- ``gives``: rules that must be among the advice the coach gives (its top three);
- ``fires`` (optional): rules that must fire, given or not (lesser advice that
  ``dealcoach.learning.learn`` shows when a concept is applied to the deal);
- ``never``: rules that must not fire on it at all, not even below the top three
  (``dealcoach.learning.learn`` shows any rule that fires when a concept is applied to a deal).

``check`` also fails a deal when any rule that fires on it makes a claim its facts
contradict (``advice.contradictions``). The table is validated when it is loaded,
like the rest of the knowledge base, and checked by ``tests/core``; the trainer's
page (``dealcoach.serving.review_page``) shows the advice each deal gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

from dealcoach.coaching.advice import advise, contradictions, matches
from dealcoach.deals.deal import DEAL_FACTS, Deal, Stakeholder
from dealcoach.knowledge_base import schemas
from dealcoach.knowledge_base.loader import KnowledgeBase, KnowledgeError, read_yaml
from dealcoach.knowledge_base.vocabulary import UNKNOWN

DEALS_FOLDER = Path("advice") / "deals"
#: Fact -> entity whose values it takes (all but employees are entities of their own).
_FACT_ENTITY = {fact: fact for fact in DEAL_FACTS if fact != "employees"}


@dataclass(frozen=True)
class RepresentativeDeal:
    id: str
    company: str
    about: str
    facts: Tuple[Tuple[str, Any], ...]
    people: Tuple[Tuple[Tuple[str, Any], ...], ...]
    gives: Tuple[str, ...]
    never: Tuple[str, ...]
    fires: Tuple[str, ...] = ()
    file: str = ""

    def deal(self) -> Deal:
        """A fresh ``Deal`` with these facts and people (safe to change)."""
        people = [_stakeholder(dict(person)) for person in self.people]
        return Deal(owner="representative", company=self.company, **dict(self.facts),
                    stakeholders=people)  # fmt: skip


def load_representative_deals(kb: KnowledgeBase) -> List[RepresentativeDeal]:
    """Every representative deal of the knowledge base, validated, in file order."""
    deals: List[RepresentativeDeal] = []
    for path in sorted((kb.root / DEALS_FOLDER).glob("*.yml")):
        data = read_yaml(path, schemas.REPRESENTATIVE_DEALS)
        for i, raw in enumerate(data["deals"]):
            deal = _representative(kb, path, f"deals[{i}]", raw)
            if any(d.id == deal.id for d in deals):
                raise KnowledgeError(path, f"deals[{i}].id", f"duplicate deal id {deal.id!r}")
            deals.append(deal)
    if not deals:
        raise KnowledgeError(kb.root / DEALS_FOLDER, "(folder)", "no representative deals")
    return deals


def check(kb: KnowledgeBase, representative: RepresentativeDeal) -> List[str]:
    """What is wrong with the advice for this deal; empty when it passes."""
    deal = representative.deal()
    given = [a.rule_id for a in advise(kb, deal).advice]
    problems = [f"{rule} is not among the advice given {given}"
                for rule in representative.gives if rule not in given]  # fmt: skip
    fired = [rule for rule in kb.rules.values() if matches(kb, rule, deal)]
    problems += [f"{rule} does not fire" for rule in representative.fires
                 if rule not in {r.id for r in fired}]  # fmt: skip
    problems += [f"{rule.id} fires but must not" for rule in fired
                 if rule.id in representative.never]  # fmt: skip
    for rule in fired:
        for claim in contradictions(kb, rule, deal):
            problems.append(f"{rule.id} fires, but its reason claims that {claim.says}")
    return problems


def _representative(
    kb: KnowledgeBase, path: Path, where: str, raw: Dict[str, Any]
) -> RepresentativeDeal:
    facts = dict(raw["facts"])
    for fact, value in facts.items():
        entity = _FACT_ENTITY.get(fact)
        if entity and value not in kb.entities[entity].values:
            raise KnowledgeError(path, f"{where}.facts.{fact}", f"{value!r} is not a {entity}")
    if "employees" in facts:
        size = kb.size_for(facts["employees"])
        if facts.setdefault("company_size", size) != size:
            raise KnowledgeError(
                path, f"{where}.facts.company_size", f"{facts['employees']} employees is {size}"
            )
    people = [
        _person(kb, path, f"{where}.people[{j}]", p) for j, p in enumerate(raw.get("people", []))
    ]
    for key in ("gives", "fires", "never"):
        for rule in raw.get(key, ()):
            if rule not in kb.rules:
                raise KnowledgeError(path, f"{where}.{key}", f"unknown rule {rule!r}")
    both = (set(raw["gives"]) | set(raw.get("fires", ()))) & set(raw["never"])
    if both:
        raise KnowledgeError(path, f"{where}.never", f"also expected: {sorted(both)}")
    return RepresentativeDeal(
        id=raw["id"],
        company=raw["company"],
        about=" ".join(raw["about"].split()),
        facts=tuple(facts.items()),
        people=tuple(tuple(p.items()) for p in people),
        gives=tuple(raw["gives"]),
        never=tuple(raw["never"]),
        fires=tuple(raw.get("fires", ())),
        file=str(path),
    )


def _person(kb: KnowledgeBase, path: Path, where: str, raw: Dict[str, Any]) -> Dict[str, Any]:
    roles = set(kb.values("role"))
    for key in ("roles", "assumed"):
        unknown = set(raw.get(key, ())) - roles
        if unknown:
            raise KnowledgeError(path, f"{where}.{key}", f"not roles: {sorted(unknown)}")
    if not set(raw.get("assumed", ())) <= set(raw.get("roles", ())):
        raise KnowledgeError(path, f"{where}.assumed", "an assumed role must be one of roles")
    stance = raw.get("stance", UNKNOWN)
    if stance != UNKNOWN and stance not in kb.entities["stance"].values:
        raise KnowledgeError(path, f"{where}.stance", f"{stance!r} is not a stance")
    return raw


def _stakeholder(raw: Dict[str, Any]) -> Stakeholder:
    return Stakeholder(
        name=raw["name"],
        title=raw.get("title"),
        roles=list(raw.get("roles", ())),
        stance=raw.get("stance", UNKNOWN),
        met=raw.get("met"),
        named=raw.get("named", True),
        assumed=list(raw.get("assumed", ())),
    )
