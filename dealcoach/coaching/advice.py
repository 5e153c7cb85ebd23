"""The advice engine: which rules of ``knowledge/advice/`` fit a deal, best first.

A rule's ``when`` lists conditions on the deal (``dealcoach.coaching.conditions``); all
must hold, and none of the claims listed in ``unless`` may be true (a claim of
``knowledge/claims.yml`` names a set of conditions). Matching rules are ranked by
priority (ties by id, so the same facts always give the same advice), and the top
three are taken with at most one rule per concept, so that three different
principles speak.

Facts not yet known keep rules from matching; ``advise`` also names the missing
fact that would let the highest-priority of those rules speak.

A rule's reason states things about the deal ("you have not met whoever wrote the
specification"); the rule lists them as claims (``asserts``, defined with the
conditions that make them true in ``knowledge/claims.yml``), and ``contradictions``
names any that do not hold for a deal the rule fires on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

from dealcoach.coaching.conditions import all_hold, holds
from dealcoach.deals.deal import DEAL_FACTS, Deal
from dealcoach.knowledge_base.loader import AdviceRule, Claim, KnowledgeBase
from dealcoach.knowledge_base.placeholders import ROLE_PLACEHOLDERS, fill_all
from dealcoach.knowledge_base.vocabulary import DERIVED_FROM

TOP = 3


@dataclass(frozen=True)
class Advice:
    rule_id: str
    advice: str
    because: str
    concept: str
    principle: str  # "New task (Robinson, Faris & Wind 1967)"
    priority: int


@dataclass(frozen=True)
class AdviceReport:
    advice: Tuple[Advice, ...]
    #: The missing fact that would sharpen the advice ("purchase_situation", "role:decider").
    sharpen: str | None = None
    #: The knowledge base it was worded with: its language's phrases frame it.
    kb: KnowledgeBase | None = field(default=None, repr=False, compare=False)


def advise(kb: KnowledgeBase, deal: Deal, limit: int = TOP) -> AdviceReport:
    """The top ``limit`` pieces of advice for this deal, and what would sharpen them."""
    ranked = sorted(kb.rules.values(), key=lambda r: (-r.priority, r.id))
    chosen: List[AdviceRule] = []
    for rule in ranked:
        if len(chosen) == limit:
            break
        if matches(kb, rule, deal) and rule.concept not in {c.concept for c in chosen}:
            chosen.append(rule)
    for rule in ranked:  # fewer distinct concepts than ``limit``: allow repeats
        if len(chosen) == limit:
            break
        if rule not in chosen and matches(kb, rule, deal):
            chosen.append(rule)
    advice = tuple(render(kb, deal, chosen))
    sharpen = _sharpening_fact(kb, ranked, deal, chosen)
    return AdviceReport(advice=advice, sharpen=sharpen, kb=kb)


def render(kb: KnowledgeBase, deal: Deal, rules: List[AdviceRule]) -> List[Advice]:
    """These rules' advice and reasons, worded for this deal."""
    values = _placeholders(kb, deal)
    return [_render(kb, rule, values) for rule in rules]


def matches(kb: KnowledgeBase, rule: AdviceRule, deal: Deal) -> bool:
    """Whether every condition of the rule holds for this deal, and none of the claims
    that keep it silent (``unless``) is true."""
    return all_hold(rule.when, deal, kb.sector_families) and not _silenced(kb, rule, deal)


def _silenced(kb: KnowledgeBase, rule: AdviceRule, deal: Deal) -> bool:
    """Whether a claim of the rule's ``unless`` is true for this deal."""
    return any(all_hold(kb.claims[c].true_when, deal, kb.sector_families) for c in rule.unless)


def contradictions(kb: KnowledgeBase, rule: AdviceRule, deal: Deal) -> List[Claim]:
    """The claims of the rule's reason that are false for this deal (none, for a sound rule)."""
    claims = [kb.claims[c] for c in rule.asserts]
    return [c for c in claims if not all_hold(c.true_when, deal, kb.sector_families)]


def _sharpening_fact(
    kb: KnowledgeBase, ranked: List[AdviceRule], deal: Deal, chosen: List[AdviceRule]
) -> str | None:
    """The unknown fact that blocks the best rule that would otherwise outrank a chosen one."""
    floor = min((rule.priority for rule in chosen), default=0)
    # Only roles the review asks about: a deal without a gatekeeper lacks nothing.
    asked = {q.role for q in kb.questions if q.role}
    for rule in ranked:
        if rule in chosen or rule.priority < floor or _silenced(kb, rule, deal):
            continue
        failing = [(k, v) for k, v in rule.when if not holds(k, v, deal, kb.sector_families)]
        facts = [DERIVED_FROM.get(k, k) for k, _ in failing]
        missing = [f for f in facts if f in DEAL_FACTS and getattr(deal, f) is None]
        if failing and len(missing) == len(failing):
            return missing[0]
        roles = [r for k, v in failing if k in _ROLE_HELD for r in v]
        if failing and roles and all(k in _ROLE_HELD for k, _ in failing):
            if all(not deal.holders(r) and r in asked for r in roles):
                return f"role:{roles[0]}"
    return None


#: Conditions that need somebody in the role: knowing who holds it may let them hold.
_ROLE_HELD = ("unmet_role", "has_role", "confirmed_role", "met_role")


def _placeholders(kb: KnowledgeBase, deal: Deal) -> Dict[str, str]:
    """The value of every placeholder of ``dealcoach.knowledge_base.placeholders`` for this deal."""
    values = {"company": deal.company}
    for name in DEAL_FACTS:
        value = getattr(deal, name)
        values[name] = (
            kb.label(name, value)
            if value is not None
            else kb.phrase("unknown_fact", fact=kb.fact_words(name))
        )

    def the(entity: str, value: str) -> str:
        return kb.phrase("the_role", role=kb.label(entity, value))

    for role in ROLE_PLACEHOLDERS:
        holders = deal.holders(role)
        values[role] = _names(kb, holders) or the("role", role)
    values["unmet_decider"] = _names(kb, [p for p in deal.holders("decider") if not p.met]) or (
        the("role", "decider")
    )
    values["met_prescriber"] = _names(kb, [p for p in deal.holders("prescriber") if p.met]) or (
        the("role", "prescriber")
    )
    for stance in ("opponent", "supporter", "champion"):
        values[stance] = _names(kb, [p for p in deal.stakeholders if p.stance == stance]) or (
            the("stance", stance)
        )
    values["contact"] = _names(kb, deal.stakeholders[:1]) or kb.phrase("your_contact")
    return values


def _names(kb: KnowledgeBase, people: List[Any]) -> str:
    names = [p.name if p.named else kb.phrase("the_role", role=p.name) for p in people]
    if len(names) <= 1:
        return names[0] if names else ""
    return kb.phrase("and_last", first=", ".join(names[:-1]), last=names[-1])


def _render(kb: KnowledgeBase, rule: AdviceRule, values: Dict[str, str]) -> Advice:
    concept = kb.concepts[rule.concept]
    # Research first; the seed article is where the product started, not the evidence.
    cited = sorted(concept.sources, key=lambda s: kb.sources[s].rank)
    sources = "; ".join(kb.sources[s].cited for s in cited[:2])
    return Advice(
        rule_id=rule.id,
        advice=fill_all(rule.advice, values),
        because=fill_all(rule.because, values),
        concept=rule.concept,
        principle=f"{concept.name} ({sources})",
        priority=rule.priority,
    )


def sharpen_text(kb: KnowledgeBase, key: str | None) -> str:
    """The sentence that tells the salesperson which missing fact would sharpen the advice."""
    if not key:
        return ""
    if key.startswith("role:"):
        what = kb.phrase("sharpen_who", role=kb.label("role", key[5:]))
    else:
        what = kb.phrase("the_fact", fact=kb.fact_words(key))
    return kb.phrase("sharpen", what=what)


def format_advice(report: AdviceReport, company: str) -> str:
    """The advice as one chat message: numbered, each with why and the principle behind it."""
    kb = report.kb
    assert kb is not None, "an AdviceReport made by advise() knows its knowledge base"
    if not report.advice:
        return kb.phrase("advice_none", company=company)
    lines = [kb.phrase("advice_title", company=company)]
    for number, item in enumerate(report.advice, start=1):
        lines.append(f"{number}. {item.advice}")
        lines.append("   " + kb.phrase("advice_why", because=item.because))
        lines.append("   " + kb.phrase("advice_principle", principle=item.principle))
    sharpen = sharpen_text(kb, report.sharpen)
    if sharpen:
        lines.append(sharpen)
    return "\n".join(lines)
