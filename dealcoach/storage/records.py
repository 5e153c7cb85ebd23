"""What the repositories return besides deals, and the errors they raise.

Deals and stakeholders are the domain's own classes (``dealcoach.deals.deal``); everything
else a repository hands back is one of these frozen records, so that a caller reads
``run.score`` rather than guessing the keys of a row, and a backend cannot leak its
row type (a sqlite3 row, a PostgreSQL record) to the callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class LanguageSetting:
    """The language a salesperson is answered in, and whether they asked for it
    ("English please") or it was told from what they wrote."""

    language: str
    chosen: bool


@dataclass(frozen=True)
class Review:
    """One review session of a deal: started, and ended with an outcome or still open."""

    id: int
    deal_id: int
    started_at: str
    ended_at: str | None
    #: "complete" or "paused"; None while the review is still open.
    outcome: str | None


@dataclass(frozen=True)
class AdviceGiven:
    """One piece of advice given on a deal, with its rank among that round's advice."""

    rule_id: str
    rank: int
    given_at: str
    #: The review it was given in (the deal's latest); None when given outside one.
    review_id: int | None


@dataclass(frozen=True)
class FactChange:
    """One change of a deal's fact, as text: what it was and what it became."""

    fact: str
    old: str | None
    new: str | None
    changed_at: str


@dataclass(frozen=True)
class QuizRun:
    """A quiz as it stands: its questions, how far the salesperson got, the score."""

    id: int
    topic: str | None
    question_ids: Tuple[str, ...]
    #: The index of the next question to answer (= questions answered so far).
    position: int
    score: int
    started_at: str
    finished_at: str | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


@dataclass(frozen=True)
class QuizResult:
    """A finished quiz with at least one answer, as the progress report shows it."""

    id: int
    topic: str | None
    score: int
    answered: int
    finished_at: str


@dataclass(frozen=True)
class QuizAnswer:
    """One answer given in any quiz: its topic and whether it was right."""

    topic: str
    correct: bool


class UnknownDeal(KeyError):
    """No deal with this id belongs to this owner (another owner's deal included:
    for the caller it does not exist)."""


class UnknownQuiz(KeyError):
    """This owner has no running quiz with this id."""


class NameClash(ValueError):
    """The owner already has another deal by the name a rename asks for."""

    def __init__(self, existing: str) -> None:
        super().__init__(f"you already have a deal called {existing}")
        self.existing = existing
