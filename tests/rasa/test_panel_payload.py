"""The deal panel's way to the page, in the adapters: wrapped as Rasa's socket.io output
wants a custom payload, unwrapped to the salesperson's own room in signed-in mode, and
never taken for the bot's last words (which decide how "yes" or a bare name is read)."""

import asyncio

from rasa_sdk import Tracker

from actions.shared import PANEL_KEY, is_panel, last_response
from channels.web import WebChatOutput

PANEL_EVENT = {
    "event": "bot",
    "text": None,
    "data": {"custom": {"data": {PANEL_KEY: {"panel": None, "deals": []}}}},
    "metadata": {},
}


def tracker(events):
    return Tracker.from_dict({"sender_id": "anna", "events": events, "slots": {}})


def test_the_bots_last_response_is_the_one_before_the_panel():
    asked = {
        "event": "bot",
        "text": "Which client?",
        "metadata": {"utter_action": "utter_which_client"},
    }
    assert is_panel(PANEL_EVENT) and not is_panel(asked)
    assert last_response(tracker([asked, PANEL_EVENT])) == "utter_which_client"
    # Plain words after a panel are the last response as before.
    said = {"event": "bot", "text": "Noted.", "metadata": {}}
    assert last_response(tracker([asked, PANEL_EVENT, said])) is None


class RecordingServer:
    """Stands in for python-socketio's server: records what would be emitted where."""

    def __init__(self):
        self.emitted = []

    async def emit(self, event, data=None, room=None, **_):
        self.emitted.append((event, data, room))


def test_signed_in_output_sends_the_panel_to_the_salespersons_room_only():
    server = RecordingServer()
    output = WebChatOutput(server, "bot_uttered")
    panel = {PANEL_KEY: {"deals": []}}
    # A room named in the payload is ignored: the room is the recipient's.
    asyncio.run(output.send_custom_json("bob", {"data": panel, "room": "web:alice"}))
    assert server.emitted == [("bot_uttered", panel, "web:bob")]
