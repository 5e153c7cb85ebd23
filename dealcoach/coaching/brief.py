"""The deal brief: one chat message to read before a meeting.

Facts (unknown ones shown as unknown, never guessed), the buying-centre map (each
role: who holds it, their stance, met or not, and whether the role is only assumed
from a job title; key roles nobody holds are flagged),
the risk flags of ``knowledge/risk_flags.yml``, and the three next actions with
their reasons. ``Brief`` holds the parts as data, so that a channel can lay them
out its own way (Slack blocks, plain text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

from dealcoach.coaching.advice import AdviceReport, advise, sharpen_text
from dealcoach.coaching.conditions import all_hold
from dealcoach.deals.deal import ASSUMED, Deal, Stakeholder
from dealcoach.knowledge_base.loader import KnowledgeBase, RiskFlag
from dealcoach.knowledge_base.vocabulary import ROLES

ASSUMED_NOTE = f"{ASSUMED} only: ask who really does it"


@dataclass(frozen=True)
class Brief:
    company: str
    facts: Tuple[Tuple[str, str], ...]  # (label, value) in reading order
    centre: Tuple[Tuple[str, str], ...]  # (role, who holds it) ; "" when nobody
    flags: Tuple[RiskFlag, ...]
    advice: AdviceReport


def risk_flags(kb: KnowledgeBase, deal: Deal) -> List[RiskFlag]:
    """The flags that hold for this deal, most urgent first."""
    raised = [f for f in kb.flags.values() if all_hold(f.when, deal, kb.sector_families)]
    return sorted(raised, key=lambda f: (-f.severity, f.id))


def make_brief(kb: KnowledgeBase, deal: Deal) -> Brief:
    unknown = kb.phrase("unknown")

    def fact(name: str) -> str:
        value = getattr(deal, name)
        return kb.label(name, value) if value is not None else unknown

    size = fact("company_size")
    if deal.employees is not None:
        # The count says more than the band it falls in (as on the deal panel), and
        # the band's id is no word in any language.
        size = kb.phrase("employees", count=deal.employees)
    facts = (
        (kb.phrase("brief_sector"), fact("sector")),
        (kb.phrase("brief_size"), size),
        (kb.phrase("brief_purchase"), fact("purchase_situation")),
        (kb.phrase("brief_position"), fact("supplier_position")),
        (kb.phrase("brief_stage"), fact("buying_stage")),
        (kb.phrase("brief_risk"), fact("perceived_risk")),
    )
    # The roles the review asks about are shown always, the others when held.
    key_roles = kb.asked_roles()
    centre = tuple(
        (kb.label("role", role), "; ".join(_person(kb, p, role) for p in deal.holders(role)))
        for role in ROLES
        if role in key_roles or deal.holders(role)
    )
    return Brief(
        company=deal.company,
        facts=facts,
        centre=centre,
        flags=tuple(risk_flags(kb, deal)),
        advice=advise(kb, deal),
    )


def _person(kb: KnowledgeBase, person: Stakeholder, role: str) -> str:
    name = person.name if person.named else kb.phrase("name_unknown", person=person.name)
    if person.title and person.named:
        name += f" ({person.title})"
    stance = (
        kb.label("stance", person.stance)
        if person.stance != "unknown"
        else kb.phrase("stance_unknown")
    )
    met = kb.phrase(
        {True: "person_met", False: "person_not_met", None: "person_met_unknown"}[person.met]
    )
    # A role taken from the title alone is a default to check, not a fact (Bonoma 1982).
    assumed = ", " + kb.phrase("assumed_note") if role in person.assumed else ""
    return f"{name}, {stance}, {met}{assumed}"


def format_brief(brief: Brief) -> str:
    """The brief as one plain-text chat message."""
    kb = brief.advice.kb
    assert kb is not None, "a brief's advice knows its knowledge base"
    lines = [kb.phrase("brief_title", company=brief.company)]
    lines.append(" | ".join(f"{label}: {value}" for label, value in brief.facts))
    lines.append(kb.phrase("brief_people"))
    nobody = kb.phrase("nobody_known_flag")
    for role, holders in brief.centre:
        lines.append(f"- {role}: {holders or nobody}")
    if brief.flags:
        lines.append(kb.phrase("brief_flags"))
        lines += [f"! {flag.flag}" for flag in brief.flags]
    lines.append(kb.phrase("brief_next"))
    for number, item in enumerate(brief.advice.advice, start=1):
        lines.append(
            kb.phrase("brief_advice_line", number=number, advice=item.advice, because=item.because)
        )
    sharpen = sharpen_text(kb, brief.advice.sharpen)
    if sharpen:
        lines.append(sharpen)
    return "\n".join(lines)
