"""The deal panel: a deal as a picture, as data, for a page that draws it.

A salesperson glancing at a deal before a meeting wants to see it, not read it: its
facts, the stage it has reached on the five-step buying process, the buying centre as
lanes of roles with a card per person (stance, met or not), the key seats nobody holds,
the risk flags and the next three actions. ``deal_panel`` builds that from a deal (the
same facts, flags and advice as the brief, ``dealcoach.coaching.brief``), with what the
latest message changed marked; ``deal_list`` is the salesperson's deals in a line each.

Everything here is plain values with every word already chosen, in the language of the
knowledge base view it is given (labels from ``knowledge/web_page.yml`` and the entity
names), so the page only lays it out and a translation is a knowledge file, never code.
``panel_to_wire`` is the JSON form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from dealcoach.coaching.advice import advise
from dealcoach.coaching.brief import risk_flags
from dealcoach.deals.deal import Change, Deal, Stakeholder, name_key
from dealcoach.knowledge_base.languages import DEFAULT_LANGUAGE
from dealcoach.knowledge_base.loader import KnowledgeBase
from dealcoach.knowledge_base.vocabulary import ROLES, UNKNOWN

#: The facts the panel shows, in reading order (``employees`` is shown with the size).
PANEL_FACTS = (
    "sector",
    "company_size",
    "purchase_situation",
    "supplier_position",
    "buying_stage",
    "perceived_risk",
)
#: A card's lane when the person holds no role yet.
NO_ROLE = "no_role"


@dataclass(frozen=True)
class Fact:
    key: str
    label: str
    value: str  # the value's name, or the "unknown" label
    known: bool
    changed: bool


@dataclass(frozen=True)
class Stage:
    """One step of the buying process; ``reached`` up to and including the deal's."""

    key: str
    label: str
    reached: bool
    current: bool


@dataclass(frozen=True)
class Card:
    """One person of the buying centre, in one lane."""

    key: str
    name: str
    title: str  # "" when not known
    stance: str  # a stance id or "unknown": the page colours by it
    stance_label: str  # the word shown with the colour
    met: str  # "met", "not_met" or "unknown"
    met_label: str
    assumed: bool  # holds this lane's role only because of the job title
    changed: bool


@dataclass(frozen=True)
class Lane:
    """A buying-centre role and its holders; a key role nobody holds is an empty seat."""

    role: str
    label: str
    key: bool  # a role every deal should put a name against (the review asks for it)
    cards: Tuple[Card, ...]

    @property
    def empty_seat(self) -> bool:
        return self.key and not self.cards


@dataclass(frozen=True)
class Flag:
    id: str
    text: str
    severity: int


@dataclass(frozen=True)
class Action:
    advice: str
    because: str


@dataclass(frozen=True)
class DealPanel:
    deal_id: int
    company: str
    status: str
    facts: Tuple[Fact, ...]
    stages: Tuple[Stage, ...]
    lanes: Tuple[Lane, ...]
    flags: Tuple[Flag, ...]
    actions: Tuple[Action, ...]

    @property
    def empty_seats(self) -> Tuple[str, ...]:
        return tuple(lane.role for lane in self.lanes if lane.empty_seat)


@dataclass(frozen=True)
class DealLine:
    """One deal of "my deals": what a list shows of it."""

    deal_id: int
    company: str
    stage: str
    risk: str
    urgent_flag: str  # "" when no flag holds
    updated_at: str  # the store's timestamp, "" when not known


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: ``value`` out of ``total``."""

    label: str
    value: int
    total: int


@dataclass(frozen=True)
class QuizChart:
    """Quiz progress as two small charts: each quiz's score, oldest first, and the
    share of right answers per topic (built by ``dealcoach.learning.quiz``)."""

    scores: Tuple[Bar, ...]
    topics: Tuple[Bar, ...]


@dataclass(frozen=True)
class PanelState:
    """What the page's panel shows after one message: the deal the message was about
    (None before any), the salesperson's deals, the labels, whether to print, and the
    quiz progress when the message asked for it; all in the salesperson's language."""

    panel: DealPanel | None
    deals: Tuple[DealLine, ...]
    labels: Dict[str, str]
    print_brief: bool = False
    quiz: QuizChart | None = None
    #: The language of every word here (the salesperson's): the page shows its own
    #: words in it too.
    language: str = DEFAULT_LANGUAGE


def changed_keys(changes: Iterable[Change]) -> List[str]:
    """What a message's changes touch, in the panel's terms: fact names and
    ``person:<name key>`` (a renamed person under the new name)."""
    keys: List[str] = []
    for change in changes:
        if change.kind == "fact":
            keys.append("company_size" if change.key == "employees" else change.key)
        elif change.kind == "person":
            name = str(change.data.get("rename") or change.key)
            keys.append(f"person:{name_key(name)}")
    return list(dict.fromkeys(keys))


def deal_panel(kb: KnowledgeBase, deal: Deal, changed: Sequence[str] = ()) -> DealPanel:
    """The panel of one deal; ``changed``: the keys (``changed_keys``) to mark."""
    return DealPanel(
        deal_id=int(deal.id or 0),
        company=deal.company,
        status=deal.status,
        facts=tuple(_fact(kb, deal, name, name in changed) for name in PANEL_FACTS),
        stages=_stages(kb, deal),
        lanes=_lanes(kb, deal, set(changed)),
        flags=tuple(Flag(f.id, f.flag, f.severity) for f in risk_flags(kb, deal)),
        actions=tuple(Action(a.advice, a.because) for a in advise(kb, deal).advice),
    )


def deal_list(kb: KnowledgeBase, deals: Sequence[Deal]) -> Tuple[DealLine, ...]:
    """The salesperson's deals, most recently updated first."""
    labels = kb.web.panel
    lines = []
    for deal in deals:
        flags = risk_flags(kb, deal)
        lines.append(
            DealLine(
                deal_id=int(deal.id or 0),
                company=deal.company,
                stage=_value(kb, deal, "buying_stage", labels.get("stage_unknown", "")),
                risk=_value(kb, deal, "perceived_risk", labels.get("unknown", UNKNOWN)),
                urgent_flag=flags[0].flag if flags else "",
                updated_at=_minute(deal.updated_at),
            )
        )
    return tuple(sorted(lines, key=lambda line: line.updated_at, reverse=True))


def panel_state(
    kb: KnowledgeBase,
    deal: Deal | None,
    deals: Sequence[Deal],
    changed: Sequence[str] = (),
    print_brief: bool = False,
    quiz: QuizChart | None = None,
) -> PanelState:
    return PanelState(
        panel=deal_panel(kb, deal, changed) if deal is not None else None,
        deals=deal_list(kb, deals),
        labels=dict(kb.web.panel),
        print_brief=print_brief and deal is not None,
        quiz=quiz,
        language=kb.language,
    )


def panel_to_wire(state: PanelState) -> Dict[str, Any]:
    """The state as JSON-ready values (a lane's ``empty_seat`` included)."""
    wire = asdict(state)
    if state.panel is not None:
        for lane, raw in zip(state.panel.lanes, wire["panel"]["lanes"], strict=True):
            raw["empty_seat"] = lane.empty_seat
        wire["panel"]["empty_seats"] = list(state.panel.empty_seats)
    return wire


def _minute(timestamp: str | None) -> str:
    """A store timestamp to the minute, as a person reads it ("2026-12-02 11:03"); the
    stores write ISO 8601, which sorts the same way."""
    return (timestamp or "")[:16].replace("T", " ")


def _value(kb: KnowledgeBase, deal: Deal, name: str, otherwise: str) -> str:
    value = getattr(deal, name)
    return kb.label(name, value) if value is not None else otherwise


def _fact(kb: KnowledgeBase, deal: Deal, name: str, changed: bool) -> Fact:
    labels = kb.web.panel
    unknown = labels.get("unknown", UNKNOWN)
    value = _value(kb, deal, name, unknown)
    known = getattr(deal, name) is not None
    if name == "company_size" and deal.employees is not None:
        # The count says more than the band it falls in ("large (250+ employees)").
        value = f"{deal.employees} {labels.get('employees', '')}"
        known = True
    return Fact(name, labels.get(name, name), value, known, changed)


def _stages(kb: KnowledgeBase, deal: Deal) -> Tuple[Stage, ...]:
    order = kb.values("buying_stage") if "buying_stage" in kb.entities else []
    at = order.index(deal.buying_stage) if deal.buying_stage in order else -1
    return tuple(
        Stage(key, kb.label("buying_stage", key), i <= at, i == at) for i, key in enumerate(order)
    )


def _lanes(kb: KnowledgeBase, deal: Deal, changed: set[str]) -> Tuple[Lane, ...]:
    """Every role as a lane in the role order: key roles always, others when held;
    people with no role yet in a last lane."""
    key_roles = set(kb.asked_roles())
    lanes = [
        Lane(
            role,
            kb.label("role", role),
            role in key_roles,
            tuple(_card(kb, p, role, changed) for p in deal.holders(role)),
        )
        for role in ROLES
        if role in key_roles or deal.holders(role)
    ]
    roleless = [p for p in deal.stakeholders if not p.roles]
    if roleless:
        cards = tuple(_card(kb, p, NO_ROLE, changed) for p in roleless)
        lanes.append(Lane(NO_ROLE, kb.web.panel.get("no_role", NO_ROLE), False, cards))
    return tuple(lanes)


def _card(kb: KnowledgeBase, person: Stakeholder, role: str, changed: set[str]) -> Card:
    labels = kb.web.panel
    stance = person.stance if person.stance else UNKNOWN
    met = {True: "met", False: "not_met", None: UNKNOWN}[person.met]
    return Card(
        key=person.key,
        name=person.name,
        # Someone known only by a title ("the CFO") has it as their name already.
        title=person.title if person.title and person.named else "",
        stance=stance,
        stance_label=(
            kb.label("stance", stance)
            if stance != UNKNOWN
            else labels.get("stance_unknown", UNKNOWN)
        ),
        met=met,
        met_label=labels.get("met_unknown" if met == UNKNOWN else met, met),
        assumed=role in person.assumed,
        changed=f"person:{person.key}" in changed,
    )
