"""rasa_extensions: switched on by loading the NLU components, once, whatever the mode."""

from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor

import nlu_components  # noqa: F401 (importing it is what switches the extensions on)
import rasa_extensions
from dealcoach.coaching.interview import READ_CHARACTERS, long_message_note
from rasa_extensions.long_messages import start_of
from tests.conftest import ROOT


def test_loading_the_components_switches_the_extensions_on_once():
    run, parse = RemoteAction.run, MessageProcessor.parse_message
    assert getattr(run, "_dealcoach_says_when_unreachable", False)
    assert getattr(parse, "_dealcoach_reads_the_start", False)
    rasa_extensions.install_all()
    assert (RemoteAction.run, MessageProcessor.parse_message) == (run, parse)


def test_a_long_message_is_read_by_its_start_cut_at_a_space(kb):
    text = "the CFO makes the final call " * 200
    head = start_of(text)
    assert len(head) <= READ_CHARACTERS and text.startswith(head)
    assert text[len(head)] == " "
    assert start_of("x" * 5000) == "x" * READ_CHARACTERS
    assert start_of("short") == "short"
    assert long_message_note(kb, "short") is None
    assert "first 2,000 characters" in long_message_note(kb, text)
    assert "eerste 2,000 tekens" in long_message_note(kb.in_language("nl"), text)


def test_the_session_extensions_are_on_and_carry_each_slot_once():
    import asyncio

    from rasa.core.actions.action import ActionSessionStart
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_extensions.sessions import messages_in_session

    assert getattr(MessageProcessor._has_session_expired, "_dealcoach_sessions", False)
    assert getattr(ActionSessionStart.run, "_dealcoach_sessions", False)
    assert SQLTrackerStore._event_query.__module__ == "rasa_extensions.sessions"
    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events(
        "someone",
        [
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered("what is a buying centre?"),
            SlotSet("last_concept", "buying_centre"),
            UserUttered("explain a modified rebuy"),
            SlotSet("last_concept", "modified_rebuy"),
            SlotSet("pending_check", {"buying_stage": "need"}),
            SlotSet("pending_check", None),
        ],
        slots=domain.slots,
    )
    assert messages_in_session(tracker) == 2
    events = asyncio.run(ActionSessionStart().run(None, None, tracker, domain))
    assert isinstance(events[0], SessionStarted) and events[-1] == ActionExecuted("action_listen")
    assert events[1:-1] == [SlotSet("last_concept", "modified_rebuy")]
