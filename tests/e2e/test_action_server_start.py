"""The action server does its once-per-process work when it starts, not on a request."""

from tests.e2e.servers import Servers, http


def action_call(action: str, sender: str, text: str, intent: str, entities=()) -> dict:
    """What the Rasa server posts to the action server to run one action."""
    message = {"text": text, "intent": {"name": intent}, "entities": list(entities)}
    tracker = {"sender_id": sender, "slots": {}, "latest_message": message, "events": [],
               "latest_input_channel": "rest"}  # fmt: skip
    return {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": {}}


def test_knowledge_and_store_are_loaded_at_start_once(tmp_path):
    servers = Servers(tmp_path)
    try:
        servers.start_actions()
        # Before any request: the deal store is open and the knowledge base loaded.
        assert servers.db.exists()
        log = tmp_path / "actions.log"
        assert "knowledge base loaded" in log.read_text()
        url = f"http://127.0.0.1:{servers.action_port}/webhook"
        company = [{"entity": "company", "value": "Acme", "start": 7, "end": 11}]
        review = action_call("action_start_review", "rep-a", "review Acme", "start_review", company)
        started = http("POST", url, review)
        assert [r.get("response") for r in started["responses"]][0] == "utter_review_started"
        assert started["responses"][-1]["text"].endswith("?")  # the first interview question
        listing = action_call("action_list_deals", "rep-b", "my deals", "list_deals")
        listed = http("POST", url, listing)
        assert listed["responses"][0]["response"] == "utter_no_deals"
        assert log.read_text().count("knowledge base loaded") == 1
    finally:
        servers.stop()
