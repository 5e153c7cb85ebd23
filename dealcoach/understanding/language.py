"""Which language a salesperson writes in, and whether they ask for another one.

Deliberately small and explainable, not a statistical language identifier: Dutch and
English salespeople share most of the words that matter to the coach (deal, CFO,
shortlist, pipeline, company names), so those say nothing. What differs is the glue
between them, the function words: "de deal bij Acme zit in de shortlist fase" has
four Dutch ones (de, bij, zit, de) and no English one. ``knowledge/languages.yml``
lists them per language; a message is in a language when it holds at least
``MARGIN`` more of that language's function words than of any other's. Anything
closer ("Petra, CFO", "ja", "de CFO makes the call") says nothing, and the
salesperson's language stays as it was.

A particle before a capitalised word is part of a name ("Jan van der Berg", "Sofie De
Smet"), so "van" and "de" there do not count as Dutch.

An explicit request ("kan het in het Nederlands?", "English please", "spreek
Nederlands") is one of the ``switch`` phrases of ``knowledge/languages.yml`` in a
short message: at most ``SWITCH_EXTRA_WORDS`` words besides the phrase, so that "the
client wants the proposal in Dutch" is not taken as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List

from dealcoach.knowledge_base.loader import LanguageCues

#: How many more function words of one language than of any other make a message
#: that language's.
MARGIN = 2
#: Words a request for a language may hold besides its phrase ("kan het" + "in het
#: Nederlands").
SWITCH_EXTRA_WORDS = 4

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True)
class Reading:
    """What a message says about its language: the function words found per
    language, and the language they decide (None when too close to call)."""

    counts: Dict[str, int]
    language: str | None


def words(text: str) -> List[str]:
    """The words of a message as written (case kept, for names), apostrophes kept."""
    return _WORD.findall(text.replace("\u2019", "'"))


def detect(text: str, cues: LanguageCues) -> Reading:
    """Count each language's function words in ``text``; decide by ``MARGIN``."""
    found = words(text)
    counts = {language: 0 for language in cues.function_words}
    for i, word in enumerate(found):
        lower = word.lower()
        if lower in cues.name_particles and _part_of_name(found, i, cues.name_particles):
            continue
        for language, vocabulary in cues.function_words.items():
            if lower in vocabulary:
                counts[language] += 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    decided = None
    if ranked:
        best, count = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        if count - runner_up >= MARGIN:
            decided = best
    return Reading(counts=counts, language=decided)


def _part_of_name(found: List[str], i: int, particles: frozenset) -> bool:
    """A particle is part of a name when the next word that is no particle is
    capitalised: "van der Berg", "De Smet"."""
    j = i + 1
    while j < len(found) and found[j].lower() in particles:
        j += 1
    # Title case, not an acronym: "de CFO" is Dutch, "De Smet" a name.
    return j < len(found) and found[j][:1].isupper() and not found[j].isupper()


def requested(text: str, cues: LanguageCues) -> str | None:
    """The language the message asks for, if it is such a request; else None."""
    lowered = " ".join(word.lower() for word in words(text))
    total = len(lowered.split())
    for language, phrases in cues.switch.items():
        for phrase in phrases:
            if re.search(rf"(?<!\S){re.escape(phrase)}(?!\S)", lowered):
                if total - len(phrase.split()) <= SWITCH_EXTRA_WORDS:
                    return language
    return None
