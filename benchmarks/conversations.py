"""Deal-review conversations as salespeople type them, for ``make bench``.

Each script is one conversation; ``{deal}`` and ``{other}`` are replaced by client
names so that conversations differ and every one starts its own deals. Written for
the benchmark (not copied from the tests or the training data): typos, several facts
per message, answers to the bot's questions, corrections, advice, briefs, listing and
managing deals, explanations and quizzes.
"""

from __future__ import annotations

from typing import Iterator, List, Tuple

CLIENTS = (
    "Brightwater", "Falkenberg", "Oakridge", "Solvane", "Tessaro", "Lindqvist",
    "Marlow Foods", "Kestrel", "Aurum Bank", "Veldhoven", "Pioneer Labs", "Sundberg",
)  # fmt: skip

FULL_REVIEW = [
    "hi coach",
    "let's review the {deal} deal",
    "they're still writing the specs and it's a big strategic bet for them",
    "the CFO makes the final call, new purchase, they're a 1800 person steel maker",
    "Petra Lang is the CFO",
    "Jan Berger writes the spec",
    "skip",
    "the plant operators will use it every day",
    "she's our champion",
    "yes we met last week",
    "neutral i think",
    "haven't met him yet",
    "what should I do next?",
    "brief me on {deal}",
    "thanks, very useful",
]

CORRECTIONS_AND_PAUSE = [
    "new deal: {deal}",
    "Tom Weber is the decider and it's a new purchase",
    "no, Tom is the buyer, not the decider",
    "actually it's a modified rebuy",
    "logistics company with about 150 people",
    "they are comparing suppliers right now",
    "not a risky purchase for them",
    "stop",
    "what should i do next?",
    "my deals",
    "back to {deal}",
    "Maria Schulz in procurement screens every email",
    "I don't know",
    "bye",
]

LEARNING = [
    "hello",
    "what is a buying centre?",
    "give me an example",
    "explain a modified rebuy",
    "how do I deal with a gatekeeper?",
    "what's perceived risk?",
    "new deal: {deal}",
    "it's a hospital group with 800 staff",
    "what does that mean for my {deal} deal?",
    "what does a straight rebuy mean",
    "thx, that helps",
]

QUIZ = [
    "quiz me on purchase situations",
    "b",
    "a",
    "no idea",
    "c",
    "d",
    "b",
    "how am i doing?",
    "quiz me",
    "a",
    "stop",
    "what can you do?",
]

MANAGING_DEALS = [
    "new deal: {deal}",
    "robotics company, 300 people, we're in negotiation",
    "new deal: {other}",
    "it's a bank and it's a modified rebuy",
    "my deals",
    "update {deal}: they're now at the decision stage",
    "rename {other} to {other} Europe",
    "brief me on {deal}",
    "prep me for my meeting with {other} Europe",
    "delete the {other} Europe deal",
    "no",
    "switch to {deal}",
    "Dr. Anna Roth the CTO is sceptical of us",
    "what should we do next",
]

SCRIPTS = {
    "full_review": FULL_REVIEW,
    "corrections_and_pause": CORRECTIONS_AND_PAUSE,
    "learning": LEARNING,
    "quiz": QUIZ,
    "managing_deals": MANAGING_DEALS,
}


def conversation(index: int) -> Tuple[str, List[str]]:
    """The ``index``-th conversation: its script's name and its messages."""
    names = list(SCRIPTS)
    name = names[index % len(names)]
    deal = CLIENTS[index % len(CLIENTS)]
    other = CLIENTS[(index + 5) % len(CLIENTS)]
    return name, [m.format(deal=deal, other=other) for m in SCRIPTS[name]]


def conversations(start: int = 0) -> Iterator[Tuple[int, str, List[str]]]:
    """Conversations ``start``, ``start + 1``, ... without end: (index, script, messages)."""
    index = start
    while True:
        name, messages = conversation(index)
        yield index, name, messages
        index += 1
