"""The repositories: what the rest of dealcoach may ask of storage, whatever the backend.

Four responsibilities, four protocols, because they change for different reasons and
a server deployment may want them in different places:

``DealRepository``     the deals: facts, buying centre, the review's place
``HistoryRepository``  what happened to a deal: reviews, advice given, fact changes
``SessionRepository``  the salesperson's session: the deal being worked on
``QuizRepository``     quizzes and their answers

Every method takes the owner (``owner_id``: the channel and its sender id) and only
ever reads or writes that owner's data. Another owner's deal id behaves exactly like
an id nobody has: reads give None or nothing, writes raise ``UnknownDeal``. No
method lists another owner's data; ``DealRepository.owners`` names the owners (for
the administrator's export) and nothing else.

A confirmation waiting for the salesperson's yes (deleting a deal) is not here: it is
a slot of Rasa's tracker (``pending_delete``), which keeps the deal's id only, and
the deletion itself goes through ``DealRepository.delete`` with the owner.

``Store`` bundles the four repositories of one backend: one object to open and close,
and ``Store.transaction`` makes any number of their calls one unit of work (the coach
reads, applies, advises and logs a message in one).
``tests/core/test_store_contract.py`` is the behaviour every backend must show.
"""

from __future__ import annotations

from typing import ContextManager, List, Protocol, Sequence

from dealcoach.deals.deal import Change, Deal
from dealcoach.storage.records import (
    AdviceGiven,
    FactChange,
    LanguageSetting,
    QuizAnswer,
    QuizResult,
    QuizRun,
    Review,
)


def owner_id(channel: str, sender_id: str) -> str:
    """Who owns a deal: the chat channel and the sender id it gives ("slack:T1:U2")."""
    return f"{channel}:{sender_id}"


class DealRepository(Protocol):
    """Each salesperson's deals: found by name or id, opened, changed, renamed, deleted."""

    def get(self, owner: str, company: str) -> Deal | None:
        """The owner's deal with this client, the name compared as ``name_key`` does."""
        ...

    def get_by_id(self, owner: str, deal_id: int) -> Deal | None: ...

    def list_for(self, owner: str) -> List[Deal]:
        """The owner's deals, most recently updated first."""
        ...

    def owners(self) -> List[str]:
        """Every owner with a deal, sorted: for the export of every deal, owner by owner."""
        ...

    def open(self, owner: str, company: str) -> tuple[Deal, bool]:
        """The owner's deal with this client, created if new; True when it was created.
        ``ValueError`` for a name with nothing in it."""
        ...

    def apply(self, owner: str, deal_id: int, changes: Sequence[Change]) -> Deal:
        """Apply the changes to the deal's current state, all or none; the deal after.

        Each fact that changes is recorded in the deal's history. ``UnknownDeal`` when
        the owner has no such deal; any error leaves the deal as it was."""
        ...

    def apply_to(self, owner: str, deal: Deal, changes: Sequence[Change]) -> Deal:
        """``apply`` without reading the deal again: ``deal`` is the owner's deal as read
        in the current ``Store.transaction``; it is changed in place and written.

        One message reads its deal once and writes it once; the transaction keeps any
        other writer out between the two. ``UnknownDeal`` when the deal is not the
        owner's; any error leaves the stored deal as it was (the transaction rolls
        back)."""
        ...

    def rename(self, owner: str, deal_id: int, company: str) -> Deal:
        """Give the deal a new client name; ``NameClash`` when the owner has another
        deal by that name (checked in the same transaction as the rename)."""
        ...

    def delete(self, owner: str, deal_id: int) -> None:
        """Remove the deal and everything recorded about it (history included); it is
        no longer the active deal."""
        ...


class HistoryRepository(Protocol):
    """What happened to a deal: its reviews, the advice given, its fact changes."""

    def start_review(self, owner: str, deal_id: int) -> int:
        """Record that a review of the deal starts; its id."""
        ...

    def end_review(self, owner: str, deal_id: int, outcome: str) -> None:
        """End the deal's latest open review with ``outcome`` (none open: nothing)."""
        ...

    def log_advice(self, owner: str, deal_id: int, rule_ids: Sequence[str]) -> None:
        """Record the advice given, best first, against the deal's latest review."""
        ...

    def reviews(self, owner: str, deal_id: int) -> List[Review]:
        """The deal's reviews, oldest first."""
        ...

    def advice(self, owner: str, deal_id: int) -> List[AdviceGiven]:
        """The advice given on the deal, oldest first."""
        ...

    def fact_changes(self, owner: str, deal_id: int) -> List[FactChange]:
        """The deal's fact changes, oldest first (written by ``DealRepository.apply``)."""
        ...


class SessionRepository(Protocol):
    """The salesperson's session: which deal they are working on, across conversations."""

    def active_deal_id(self, owner: str) -> int | None:
        """The id of the owner's active deal; None when none is (or it was deleted)."""
        ...

    def set_active(self, owner: str, deal_id: int | None) -> None:
        """Make the deal the active one (None: no deal). ``UnknownDeal`` when the
        owner has no such deal."""
        ...

    def language(self, owner: str) -> LanguageSetting | None:
        """The language the owner is answered in; None until one is known."""
        ...

    def set_language(self, owner: str, language: str, chosen: bool) -> None:
        """Answer the owner in ``language`` from now on; ``chosen`` when they asked
        for it rather than it being told from what they wrote. The active deal stays."""
        ...


class QuizRepository(Protocol):
    """Each salesperson's quizzes: the one running, the answers, the scores."""

    def start(self, owner: str, topic: str | None, question_ids: Sequence[str]) -> QuizRun:
        """Begin a quiz. An unfinished one is abandoned: dropped when nothing was
        answered, otherwise kept as finished with the answers given."""
        ...

    def current(self, owner: str) -> QuizRun | None: ...

    def record_answer(
        self, owner: str, run_id: int, question_id: str, topic: str, correct: bool
    ) -> QuizRun:
        """Store one answer and move the quiz on; the quiz as it is now (finished after
        its last question). ``UnknownQuiz`` when it is not the owner's running quiz."""
        ...

    def stop(self, owner: str) -> None:
        """End the running quiz where it is (nothing running: nothing)."""
        ...

    def history(self, owner: str) -> List[QuizResult]:
        """Finished quizzes with at least one answer, oldest first."""
        ...

    def answers(self, owner: str) -> List[QuizAnswer]:
        """Every answer the owner gave, oldest first."""
        ...


class Store:
    """The four repositories of one backend, opened together on one database.

    Callers type against this class and the protocols; a backend subclasses it
    (``SQLiteStore``) and supplies the repositories and ``close``.
    """

    #: Where the data lives, for the log ("/srv/dealcoach/var/dealcoach.db").
    location: str = ""

    def __init__(
        self,
        deals: DealRepository,
        history: HistoryRepository,
        sessions: SessionRepository,
        quizzes: QuizRepository,
    ) -> None:
        self.deals = deals
        self.history = history
        self.sessions = sessions
        self.quizzes = quizzes

    def transaction(self) -> ContextManager[None]:
        """One unit of work: every repository call inside it reads one consistent state
        and its writes are kept all together or not at all (an exception inside rolls
        them all back). Other writers wait until it ends. Calls inside that open their
        own transaction join this one."""
        raise NotImplementedError

    def active_deal(self, owner: str) -> Deal | None:
        """The deal the owner is working on, if any: the session's pointer, then the deal."""
        deal_id = self.sessions.active_deal_id(owner)
        return None if deal_id is None else self.deals.get_by_id(owner, deal_id)

    def close(self) -> None:
        """Release the backend's connections (nothing to release by default)."""
