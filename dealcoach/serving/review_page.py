"""The trainer's review page: every advice rule and the advice each representative deal
gets, in plain words, so that a sales trainer can review the coach's teaching
without reading YAML.

``review_page(kb, deals)`` returns the page as Markdown; ``dealcoach docs`` (and
``make docs``) writes it to ``docs/advice_review.md``. The page is generated only
from the knowledge base, with nothing that changes from one run to the next, so a
test can fail when the committed page is not what the generator writes now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from dealcoach.coaching.advice import TOP, advise, matches, sharpen_text
from dealcoach.coaching.brief import risk_flags
from dealcoach.coaching.representative import RepresentativeDeal
from dealcoach.deals.deal import ASSUMED, DEAL_FACTS, Deal
from dealcoach.knowledge_base.loader import AdviceRule, KnowledgeBase
from dealcoach.knowledge_base.placeholders import PLACEHOLDERS, fill
from dealcoach.knowledge_base.vocabulary import COUNT_CONDITIONS, UNKNOWN

#: Where ``make docs`` writes the page, relative to the project root.
PAGE = Path("docs") / "advice_review.md"

_FACT_WORDS = {
    "sector": "the client's sector",
    "company_size": "the client's size",
    "purchase_situation": "the purchase situation",
    "supplier_position": "our position",
    "buying_stage": "the buying stage",
    "perceived_risk": "the perceived risk",
}
#: How each buying-centre condition reads, for one role or stance.
_PEOPLE_WORDS = {
    "missing_role": "nobody is known to be the {}",
    "has_role": "someone is known to be the {}",
    "confirmed_role": "someone is the {} on the salesperson's word, not only by job title",
    "assumed_role": "the {} is known only from a job title (assumed, not confirmed)",
    "unmet_role": "someone is known to be the {}, but nobody in that role has been met",
    "met_role": "the salesperson has met someone who is the {}",
    "nobody_met": "nobody who is the {} has been met (or nobody is known to be)",
    "stance_present": "someone is a {}",
}


def review_page(kb: KnowledgeBase, deals: Sequence[RepresentativeDeal]) -> str:
    """The whole page, as Markdown."""
    lines = _introduction(kb, deals)
    lines += ["## The rules", ""]
    for title, rules in _by_file((r.file, r) for r in kb.rules.values()):
        lines += [f"### {title}", ""]
        for rule in rules:
            lines += _rule_section(kb, rule, deals)
    lines += ["## The representative deals", ""]
    for title, group in _by_file((d.file, d) for d in deals):
        lines += [f"### {title}", ""]
        for representative in group:
            lines += _deal_section(kb, representative)
    lines += _sources(kb)
    return "\n".join(lines).rstrip("\n") + "\n"


def describe_condition(kb: KnowledgeBase, key: str, expected: Any) -> str:
    """One condition of a rule in plain words ("the perceived risk is high or not known yet")."""
    if key in DEAL_FACTS:
        values = [_value_words(kb, key, v) for v in expected]
        return f"{_FACT_WORDS[key]} is {_or(values)}"
    if key == "sector_family":
        families = [_family_words(kb, f) for f in expected]
        return f"the client's sector is {_or(families)}"
    if key in _PEOPLE_WORDS:
        label = "role" if key != "stance_present" else "stance"
        return "; ".join(_PEOPLE_WORDS[key].format(kb.label(label, v)) for v in expected)
    if key == "stance_absent":
        return "nobody is " + _or([f"a {kb.label('stance', v)}" for v in expected])
    raise ValueError(f"no words for the condition {key!r}")


def conditions_in_words(kb: KnowledgeBase, when: Iterable[Tuple[str, Any]]) -> List[str]:
    """A rule's conditions, one line each; the two people counts read as one."""
    when = dict(when)
    lines = [describe_condition(kb, k, v) for k, v in when.items() if k not in COUNT_CONDITIONS]
    low, high = when.get("stakeholders_min"), when.get("stakeholders_max")
    if low is not None and low == high:
        lines.append(f"the salesperson knows exactly {_people(low)}")
    else:
        if low is not None:
            lines.append(f"the salesperson knows at least {_people(low)}")
        if high is not None:
            lines.append(f"the salesperson knows at most {_people(high)}")
    return lines


def write_page(kb: KnowledgeBase, deals: Sequence[RepresentativeDeal], path: Path) -> bool:
    """Write the page; True when the file changed."""
    text = review_page(kb, deals)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


# --- sections ---------------------------------------------------------------------------


def _introduction(kb: KnowledgeBase, deals: Sequence[RepresentativeDeal]) -> List[str]:
    placeholders = ", ".join(f"[{words}]" for words in _placeholder_examples())
    return [
        "# How the coach advises: the rules and the representative deals",
        "",
        "*Generated from `knowledge/` by `make docs` (`dealcoach docs`); do not edit by hand."
        " `make test` fails when this page is not what the knowledge base says now.*",
        "",
        "This page is for sales trainers: it shows every piece of advice the coach can give,"
        " when it gives it, why, and on which principle, and then what it advises on"
        f" {len(deals)} representative deals. If you would not sign a piece of advice, the"
        " rule to change is named next to it.",
        "",
        "## How the advice is chosen",
        "",
        f"- The coach knows {len(kb.rules)} rules. A rule *fires* on a deal when all of its"
        " conditions hold and none of its *not when* ones. Of the rules that fire, the coach"
        " gives the"
        f" {TOP} with the highest priority, no two from the same principle, so that"
        f" {TOP} different principles speak (equal priorities: by rule name).",
        "- A fact not known yet keeps the rules that need it silent; other rules fire"
        " precisely because a fact is unknown, and ask for it. The coach also names the"
        " missing fact that would let a stronger rule speak.",
        '- A role given only because of a job title ("Petra is the CFO": decider) is'
        " *assumed*: the coach says so and asks who really decides.",
        "- Sectors come in families: *public* (publicly funded services, usually under"
        " public procurement rules), *regulated* (formal, regulated buying) and"
        " *commercial* (every other company).",
        f"- Words in brackets are filled in from the deal: {placeholders}.",
        "- *Its reason assumes* lists what the reason states about the deal. The test suite"
        " checks, on every representative deal and on thousands of generated ones, that no"
        " rule fires on a deal where one of these is false.",
        "- Sources other than research are marked: *practitioner framework*, *industry"
        " research*, *teaching source*; *secondary* means seen only in summaries or not"
        " verified. The full references are at the end.",
        "",
    ]


def _rule_section(
    kb: KnowledgeBase, rule: AdviceRule, deals: Sequence[RepresentativeDeal]
) -> List[str]:
    concept = kb.concepts[rule.concept]
    given, fired = [], []
    for representative in deals:
        deal = representative.deal()
        if rule.id in {a.rule_id for a in advise(kb, deal).advice}:
            given.append(representative)
        elif matches(kb, rule, deal):
            fired.append(representative)
    lines = [f'<a id="rule-{rule.id}"></a>', f"#### `{rule.id}` (priority {rule.priority})", ""]
    lines += ["**When** (all of these hold):", ""]
    lines += [f"- {line}" for line in conditions_in_words(kb, rule.when)]
    lines += [f"- and not when {kb.claims[c].says}" for c in rule.unless]
    lines += [
        "",
        f"**Says:** {_words(rule.advice)}",
        "",
        f"**Because** {_words(rule.because)}.",
        "",
        "**Its reason assumes:** " + "; ".join(kb.claims[c].says for c in rule.asserts) + ".",
        "",
        f"**Principle:** {concept.name}, after "
        + "; ".join(kb.sources[s].cited for s in _ranked(kb, concept.sources))
        + ".",
        "",
        "**On the representative deals:** given on "
        + (_deal_links(given) if given else "none")
        + "; fires but is outranked on "
        + (_deal_links(fired) if fired else "none")
        + ".",
        "",
    ]
    return lines


def _deal_section(kb: KnowledgeBase, representative: RepresentativeDeal) -> List[str]:
    deal = representative.deal()
    report = advise(kb, deal)
    given = {a.rule_id for a in report.advice}
    lines = [
        f'<a id="deal-{representative.id}"></a>',
        f"#### {representative.company} (`{representative.id}`)",
        "",
        representative.about,
        "",
        "- **Facts:** " + _facts(kb, deal),
        "- **People:** " + (_people_known(kb, deal) or "nobody known yet"),
        "",
        "**The coach advises:**",
        "",
    ]
    for number, item in enumerate(report.advice, start=1):
        lines.append(
            f"{number}. {item.advice} *Because {item.because}.*"
            f" ({_rule_link(item.rule_id)}; {item.principle})"
        )
    sharpen = sharpen_text(kb, report.sharpen)
    if sharpen:
        lines += ["", sharpen]
    also = [r.id for r in kb.rules.values() if r.id not in given and matches(kb, r, deal)]
    flags = [f"{flag.flag} ({flag.severity})" for flag in risk_flags(kb, deal)]
    lines += [
        "",
        "Risk flags in the brief (severity, 5 most urgent): " + ("; ".join(flags) or "none") + ".",
        "",
        "Also fires, outranked: " + (", ".join(_rule_link(r) for r in also) or "nothing") + ".",
        "",
        "Checked: must give " + _rule_list(representative.gives)
        + (f"; must fire {_rule_list(representative.fires)}" if representative.fires else "")
        + "; must never fire " + _rule_list(representative.never) + ".",
        "",
    ]  # fmt: skip
    return lines


def _sources(kb: KnowledgeBase) -> List[str]:
    lines = ["## Sources", ""]
    for source in sorted(kb.sources.values(), key=lambda s: (s.rank, s.short)):
        marks = source.cited[len(source.short) :].lstrip(", ")
        line = f"- **{source.short}**" + (f" ({marks})" if marks else "") + f": {source.citation}"
        lines.append(line + (f" {source.note}" if source.note else ""))
    return lines + [""]


# --- helpers ----------------------------------------------------------------------------


def _by_file(items: Iterable[Tuple[str, Any]]) -> List[Tuple[str, List[Any]]]:
    """Items grouped by the file they come from, titled after it, in file order."""
    groups: Dict[str, List[Any]] = {}
    for file, item in items:
        groups.setdefault(file, []).append(item)
    return [(_title(file), group) for file, group in groups.items()]


def _title(file: str) -> str:
    stem = Path(file).stem.replace("_", " ")
    return stem[0].upper() + stem[1:]


def _value_words(kb: KnowledgeBase, fact: str, value: str) -> str:
    return "not known yet" if value == UNKNOWN else kb.label(fact, value)


def _family_words(kb: KnowledgeBase, family: str) -> str:
    if family == UNKNOWN:
        return "not known yet"
    sectors = [kb.label("sector", s) for s, f in kb.sector_families.items() if f == family]
    if family == "commercial":
        return "commercial (any company not public or regulated)"
    return f"{family} ({', '.join(sectors)})"


def _or(words: List[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _people(count: int) -> str:
    return {0: "nobody", 1: "one person"}.get(count, f"{count} people")


def _words(template: str) -> str:
    """A rule's text with its placeholders in words: {decider} -> [the decider]."""
    return fill(template, {name: f"[{words}]" for name, words in PLACEHOLDERS.items()})


def _placeholder_examples() -> List[str]:
    return [PLACEHOLDERS[name] for name in ("company", "decider", "contact", "buying_stage")]


def _ranked(kb: KnowledgeBase, source_ids: Sequence[str]) -> List[str]:
    return sorted(source_ids, key=lambda s: kb.sources[s].rank)


def _facts(kb: KnowledgeBase, deal: Deal) -> str:
    parts = []
    for fact in DEAL_FACTS:
        value = getattr(deal, fact)
        if fact == "employees":
            continue
        words = "not known" if value is None else kb.label(fact, value)
        if fact == "sector" and value is not None:
            words += f" ({kb.sector_families[value]})"
        if fact == "company_size" and deal.employees is not None:
            words = f"{deal.employees} employees, {words}"
        parts.append(f"{_FACT_WORDS[fact].removeprefix('the ')}: {words}")
    return "; ".join(parts)


def _people_known(kb: KnowledgeBase, deal: Deal) -> str:
    people = []
    for person in deal.stakeholders:
        name = person.name if person.named else f"the {person.name} (name unknown)"
        if person.title and person.named:
            name += f", {person.title}"
        roles = [
            kb.label("role", r) + (f" ({ASSUMED})" if r in person.assumed else "")
            for r in person.roles
        ]
        details = [", ".join(roles) or "role not known"]
        details.append(person.stance if person.stance != UNKNOWN else "stance not known")
        details.append({True: "met", False: "not met", None: "met or not not known"}[person.met])
        people.append(f"{name} ({'; '.join(details)})")
    return "; ".join(people)


def _rule_link(rule_id: str) -> str:
    return f"[`{rule_id}`](#rule-{rule_id})"


def _rule_list(rule_ids: Sequence[str]) -> str:
    return ", ".join(_rule_link(r) for r in rule_ids) if rule_ids else "nothing"


def _deal_links(deals: Sequence[RepresentativeDeal]) -> str:
    return ", ".join(f"[{d.company}](#deal-{d.id})" for d in deals)
