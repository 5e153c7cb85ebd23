"""Which names are client companies and which are people.

The learned model finds names; this module decides their kind from their
neighbours, with the cues of ``knowledge/names.yml``: a job title next to a name
makes it a person ("plant manager Rui Carvalho", "Petra Lang, the CFO"); a legal
form, a sector, a deal word or a deal command makes it a company ("Haugen AS",
"Calloway, the hotel chain", "the Haddad deal", "review Lundgren"). Without a cue
the model's guess stands.

It also mends what the model cuts or overreaches: fragments of one name are joined
("Van den" + "Berg BV"), a legal form after a name is added to it, a trailing "'s"
is dropped, and a "name" that is only a word the knowledge base reads as a fact
("robotics" in "a robotics startup") is no name at all.

Entities are Rasa-style dicts: ``{"entity", "value", "start", "end", ...}``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Sequence

from dealcoach.knowledge_base.loader import NameCues

Entity = Dict[str, Any]
NAME_TYPES = ("company", "person")
#: Facts that sit on a person's side of a name.
_TITLE_TYPES = ("job_title",)
#: Facts that describe a company next to its name ("Calloway, the hotel chain").
_COMPANY_FACTS = ("sector", "company_size", "employees")
#: Facts a name may never overlap: "the CFO" is a title, not a person called CFO.
_FACTS_OVER_NAMES = ("job_title", "role")

# Between a title and the name after it: "plant manager Rui", "the CFO, Petra".
_TITLE_THEN_NAME = re.compile(r"^\s*[,:(\-]?\s*$")
# Between a name and the title after it: "Petra, the CFO", "Rui is their new plant manager".
_NAME_THEN_TITLE = re.compile(
    r"^\s*[,(\-]?\s*(?:(?:is|was|as)\s+)?(?:(?:the|our|their|a|an|his|her)\s+)?(?:new\s+)?$"
)
# Between a person and their employer: "Ferhat from Demirtaş", "Wei, cfo at Huaxin".
_PERSON_AT_COMPANY = re.compile(r"^\s*,?\s*(?:from|at|of)\s+(?:the\s+)?$")
# Between a company and its description: "Calloway, the hotel chain", "X is a steel mill".
_NAME_THEN_FACT = re.compile(
    r"^\s*[,(\-:]?\s*(?:(?:is|are|was|they're|they are|it's)\s+)?"
    r"(?:(?:the|a|an|our)\s+)?(?:(?:big|small|large|huge|little|local|mid-sized)\s+)?$"
)


class NameResolver:
    """Settles the kind and the extent of the names found in one message."""

    def __init__(self, cues: NameCues) -> None:
        suffixes = _alternatives(cues.legal_forms + cues.group_words)
        self._suffix = re.compile(r"\s*(" + suffixes + r")(?!\w)")
        self._ends_with_suffix = re.compile(r"(?:^|\s)(?:" + suffixes + r")\.?$")
        self._legal_form = re.compile(r"(?<=\s)(?:" + _alternatives(cues.legal_forms) + r")(?!\w)")
        self._before = re.compile(
            r"(?:^|[^\w'])(?i:" + "|".join(_words(p) for p in _longest_first(cues.company_before))
            + r")\s*[:\-]?\s+(?i:the\s+)?$"  # "new deal: Blockco" as well as "new deal Blockco"
        )  # fmt: skip
        self._command = re.compile(
            r"^\W*(?:"
            + "|".join(_words(p) for p in _longest_first(cues.company_before))
            + r")\s*[:\-]?\s+(?:the\s+)?(?P<name>[^\W\d_][\w .&'-]{0,60}?)"
            + r"(?:\s+(?:"
            + "|".join(_words(p) for p in cues.company_after)
            + r"))?"
            + r"\s*[.!?]*\s*$",
            re.IGNORECASE,
        )
        self._after = re.compile(
            r"^(?:'s)?\s+(?i:" + "|".join(_words(p) for p in cues.company_after) + r")(?!\w)"
        )
        self._person_after = re.compile(
            r"^\s*[,.?!;:-]?\s*(?i:"
            + "|".join(_words(p) for p in cues.person_after)
            + r")(?![\w'])"
        )

    def resolve(self, text: str, names: List[Entity], facts: List[Entity]) -> List[Entity]:
        """The names, joined, extended, filtered and given their kind."""
        kept = [n for n in names if _letters(text, n) > 1 and not _inside_facts(n, facts)]
        kept += self._missed_legal_names(text, kept, facts)
        kept += self._missed_command_name(text, kept, facts)
        kept += _missed_titled_people(text, kept, facts)
        resolved = []
        for name in _join_fragments(text, kept):
            name = self._with_suffix(text, name)
            name = _without_possessive(text, name)
            resolved.append(name)
        for name in resolved:
            name["entity"] = self._kind(text, name, facts, resolved)
        return resolved

    def _missed_legal_names(
        self, text: str, names: List[Entity], facts: List[Entity]
    ) -> List[Entity]:
        # "brannock ltd": a legal form the model did not mark, with the words before it.
        taken = names + facts
        found = []
        for match in self._legal_form.finditer(text):
            if any(match.start() < t["end"] and t["start"] < match.end() for t in taken):
                continue
            start = _name_start_before(text, match.start())
            if start is not None:
                found.append({"entity": "company", "value": text[start : match.end()],
                              "start": start, "end": match.end()})  # fmt: skip
        return found

    def _missed_command_name(
        self, text: str, names: List[Entity], facts: List[Entity]
    ) -> List[Entity]:
        # "new deal: Clickco", "back to korsgaard": a whole message that is a deal
        # command and a short rest; the rest is the client, whatever the model saw.
        match = self._command.match(text)
        if match is None or any(n["entity"] == "company" for n in names):
            return []
        start, end = match.span("name")
        if len(text[start:end].split()) > 5 or any(
            start < t["end"] and t["start"] < end for t in facts
        ):
            return []
        return [{"entity": "company", "value": text[start:end], "start": start, "end": end}]

    def _with_suffix(self, text: str, name: Entity) -> Entity:
        value = text[name["start"] : name["end"]]
        if self._suffix.fullmatch(value):
            # Only the legal form was marked ("plc" of "Whitfield plc"): take the name too.
            start = _name_start_before(text, name["start"])
            name = _span(text, name, start if start is not None else name["start"], name["end"])
        if self._ends_with_suffix.search(text, name["start"], name["end"]):
            name = {**name, "company_suffix": True}
        # The legal form may follow the name ("Haugen" + "AS") or have been cut in the
        # middle ("Szymański Sp" + ". z o.o."): try after the name and at its last word.
        last_word = text.rfind(" ", name["start"], name["end"]) + 1 or name["start"]
        for position in (name["end"], last_word):
            match = self._suffix.match(text, position)
            if match and match.end() > name["end"]:
                end = match.end()
                if text[end : end + 1] == "." and match.group(1)[-1:].isalpha():
                    end += 1  # "Ltd." keeps its full stop
                return _span(text, name, name["start"], end, company_suffix=True)
        return name

    def _kind(self, text: str, name: Entity, facts: List[Entity], names: List[Entity]) -> str:
        before, after = text[: name["start"]], text[name["end"] :]
        if name.pop("company_suffix", False):
            return "company"
        if self._before.search(before) or self._after.match(after):
            return "company"
        if self._person_after.match(after):
            return "person"
        if any(_gap_matches(text, name, other, _PERSON_AT_COMPANY) for other in names):
            return "person"  # "Ferhat from Demirtaş Holding", "Tanvir at Karnaphuli"
        titles = [f for f in facts if f.get("entity") in _TITLE_TYPES]
        if any(_gap_matches(text, title, name, _TITLE_THEN_NAME) for title in titles) or any(
            _gap_matches(text, name, title, _NAME_THEN_TITLE) for title in titles
        ):
            return "person"
        described = (f for f in facts if f.get("entity") in _COMPANY_FACTS)
        if any(_gap_matches(text, name, fact, _NAME_THEN_FACT) for fact in described):
            return "company"
        return str(name["entity"])


# A capitalised name in any alphabet: "Juraj Baláž", "Trần Quốc Bảo", "Anne-Marie van Dijk".
_CAPITALISED_NAME = re.compile(r"(?:[^\W\d_][\w'’-]*)(?:\s+[^\W\d_][\w'’-]*){0,3}")
# Between a title and the name after it ("the CTO, Trần Quốc Bảo"), and between a name
# and the title after it ("Siobhán Kavanagh, director of nursing").
_TITLE_NAME_GAP = re.compile(r"\s*[,:(\-–]\s*|\s+")
_NAME_TITLE_GAP = re.compile(r"\s*,\s*(?:(?:the|our|their|a|an)\s+)?|\s+\(")
#: Capitalised words that start sentences, not names.
_NOT_NAME_WORDS = frozenset(
    "the a an our their his her my your its i he she they we it you this that these those"
    " and but so or ok okay yes no not also then who whom which what when where why how"
    " mr mrs ms dr prof sir".split()
)


def _missed_titled_people(text: str, names: List[Entity], facts: List[Entity]) -> List[Entity]:
    """Capitalised names written right after or before a job title that the model did
    not mark ("plant director, Juraj Baláž", "the CTO, Trần Quốc Bảo"): in names from
    far-away alphabets the model misses most, the title is the surest cue."""
    taken = names + facts
    found: List[Entity] = []
    for title in (f for f in facts if f.get("entity") in _TITLE_TYPES and "end" in f):
        gap = _TITLE_NAME_GAP.match(text, title["end"])
        if gap is not None:
            words = _capitalised_words(text, gap.end(), forward=True)
            if words:
                found.append(words)
        for gap_match in _gaps_before(text, title["start"]):
            words = _capitalised_words(text, gap_match, forward=False)
            if words:
                found.append(words)
                break
    return [
        n for n in found if not any(n["start"] < t["end"] and t["start"] < n["end"] for t in taken)
    ]


def _gaps_before(text: str, position: int) -> List[int]:
    # Where a name would end if only a gap stood between it and ``position``.
    ends = []
    for start in range(max(0, position - 12), position):
        if _NAME_TITLE_GAP.fullmatch(text, start, position):
            ends.append(start)
    return ends


def _capitalised_words(text: str, position: int, forward: bool) -> Entity | None:
    """The run of capitalised words (particles inside allowed) that starts (forward)
    or ends at ``position``; None when there is none."""
    spans = [m for m in re.finditer(r"[^\W\d_][\w'’-]*", text)]
    if forward:
        run = [m for m in spans if m.start() >= position]
    else:
        run = [m for m in reversed(spans) if m.end() <= position]
    chosen: List[re.Match] = []
    edge = position
    for word in run[:4]:
        gap = text[edge : word.start()] if forward else text[word.end() : edge]
        if (gap != "") if not chosen else (gap.strip() != "" or not gap):
            break
        value = word.group()
        if value.lower() in _NOT_NAME_WORDS or value.isupper() and len(value) > 1:
            break
        if not value[0].isupper() and not (chosen and value.lower() in _PARTICLES):
            break
        chosen.append(word)
        edge = word.end() if forward else word.start()
    while chosen and chosen[-1].group().lower() in _PARTICLES:
        chosen.pop()  # a name ends in a name, not in "van"
    if not chosen:
        return None
    start = min(w.start() for w in chosen)
    end = max(w.end() for w in chosen)
    return {"entity": "person", "value": text[start:end], "start": start, "end": end}


def _gap_matches(text: str, first: Entity, second: Entity, gap: re.Pattern) -> bool:
    # Does ``first`` come before ``second`` with only ``gap`` between them?
    return first["end"] <= second["start"] and bool(gap.match(text[first["end"] : second["start"]]))


def _join_fragments(text: str, names: List[Entity]) -> List[Entity]:
    joined: List[Entity] = []
    for name in sorted(names, key=lambda n: n["start"]):
        previous = joined[-1] if joined else None
        if previous and name["start"] >= previous["end"]:
            gap = text[previous["end"] : name["start"]]
            if gap.strip() in ("", "&", "-") and len(gap) <= 3:
                joined[-1] = _span(text, previous, previous["start"], name["end"])
                continue
        if previous and name["start"] < previous["end"]:
            continue  # overlapping duplicates: the first stands
        joined.append(dict(name))
    return joined


def _without_possessive(text: str, name: Entity) -> Entity:
    value = text[name["start"] : name["end"]]
    for ending in ("'s", "’s"):
        if value.lower().endswith(ending) and len(value) > len(ending) + 1:
            return _span(text, name, name["start"], name["end"] - len(ending))
    return name


def _span(text: str, name: Entity, start: int, end: int, **extra: Any) -> Entity:
    return {**name, "start": start, "end": end, "value": text[start:end], **extra}


def _letters(text: str, name: Entity) -> int:
    return sum(ch.isalpha() for ch in text[name["start"] : name["end"]])


#: Words that never start a company's name when it is written in lower case.
_NOT_A_NAME = frozenset(
    "a an the our their my your his her its so ok okay at for to with and or of in on from by"
    " is are was were new old".split()
)
#: Lower-case words inside capitalised names: "Van der Meer", "Banco de la Plata".
_PARTICLES = frozenset("van der den de del della la le du von da di dos das al el bin".split())


def _name_start_before(text: str, position: int) -> int | None:
    """Where the name before a legal form starts: its capitalised words, or one word."""
    words = list(re.finditer(r"[^\W\d][\w'&.-]*", text[:position]))
    if not words:
        return None
    start = None
    for word in reversed(words):
        gap = text[word.end() : position if start is None else start]
        if gap.strip() not in ("", "&"):
            break
        if not word.group()[0].isupper():
            if start is None or word.group().lower() not in _PARTICLES:
                break
        start = word.start()
    if start is not None:
        return start
    last = words[-1]
    if text[last.end() : position].strip() or last.group().lower() in _NOT_A_NAME:
        return None
    return last.start()


def _inside_facts(name: Entity, facts: List[Entity]) -> bool:
    start, end = name["start"], name["end"]
    for fact in facts:
        overlaps = start < fact["end"] and fact["start"] < end
        if overlaps and fact.get("entity") in _FACTS_OVER_NAMES:
            return True
        if fact["start"] <= start and end <= fact["end"]:
            return True
    return False


def _longest_first(items: Sequence[str]) -> List[str]:
    return sorted(items, key=len, reverse=True)


def _words(phrase: str) -> str:
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _alternatives(suffixes: Sequence[str]) -> str:
    return "|".join(_word_pattern(s) for s in _longest_first(suffixes))


def _word_pattern(suffix: str) -> str:
    # Lower-case entries match any case; entries with capitals only as written.
    pattern = _words(suffix)
    return pattern if suffix != suffix.lower() else f"(?i:{pattern})"
