"""rasa_extensions: switched on by loading the NLU components, once, whatever the mode."""

from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor

import nlu_components  # noqa: F401 (importing it is what switches the extensions on)
import rasa_extensions
from dealcoach.interview import READ_CHARACTERS, long_message_note
from rasa_extensions.long_messages import start_of


def test_loading_the_components_switches_the_extensions_on_once():
    run, parse = RemoteAction.run, MessageProcessor.parse_message
    assert getattr(run, "_dealcoach_says_when_unreachable", False)
    assert getattr(parse, "_dealcoach_reads_the_start", False)
    rasa_extensions.install_all()
    assert (RemoteAction.run, MessageProcessor.parse_message) == (run, parse)


def test_a_long_message_is_read_by_its_start_cut_at_a_space():
    text = "the CFO makes the final call " * 200
    head = start_of(text)
    assert len(head) <= READ_CHARACTERS and text.startswith(head)
    assert text[len(head)] == " "
    assert start_of("x" * 5000) == "x" * READ_CHARACTERS
    assert start_of("short") == "short"
    assert long_message_note("short") is None
    assert "first 2,000 characters" in long_message_note(text)
