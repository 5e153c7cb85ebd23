"""Finding a salesperson's deal by the name they type, forgivingly.

"the acme deal", "ACME" and "Acmee" all find "Acme"; "Acme" with both "Acme Corp"
and "Acme Labs" in the list is ambiguous, and the caller asks which one is meant
rather than guessing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import List, Sequence

from dealcoach.deals.deal import Deal, name_key

#: How alike two names must be (difflib ratio) to count as a typo of each other.
TYPO_SIMILARITY = 0.8


@dataclass(frozen=True)
class Match:
    deal: Deal | None = None
    candidates: List[Deal] = field(default_factory=list)  # when ambiguous

    @property
    def ambiguous(self) -> bool:
        return self.deal is None and len(self.candidates) > 1


def find_deal(deals: Sequence[Deal], query: str) -> Match:
    """The one deal ``query`` names, or the candidates when it could be several."""
    key = name_key(query)
    if not key:
        return Match()
    exact = [d for d in deals if name_key(d.company) == key]
    if exact:
        return Match(deal=exact[0])
    words = set(key.split())
    partial = [
        d
        for d in deals
        if name_key(d.company).startswith(key + " ") or words >= set(name_key(d.company).split())
    ]
    if len(partial) == 1:
        return Match(deal=partial[0])
    if len(partial) > 1:
        return Match(candidates=partial)
    close = [
        d
        for d in deals
        if difflib.SequenceMatcher(None, key, name_key(d.company)).ratio() >= TYPO_SIMILARITY
    ]
    if len(close) == 1:
        return Match(deal=close[0])
    return Match(candidates=close)
