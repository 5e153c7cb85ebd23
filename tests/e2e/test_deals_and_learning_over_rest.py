"""Briefs, managing deals, explanations and quizzes over REST, with the real servers."""

import json
import re

import pytest

from tests.e2e.test_review_over_rest import deal_of


@pytest.fixture(scope="module")
def nordstahl(servers):
    """A salesperson with a half-reviewed deal, and another with a deal of the same name."""
    me = "rep-ivy"
    servers.say(me, "new deal: Nordstahl")
    servers.say(me, "steel company, 2000 staff, new purchase, they're negotiating")
    servers.say(
        me,
        "Petra Lang, the CFO, makes the final call",
    )
    servers.say("rep-other", "new deal: Nordstahl")
    servers.say("rep-other", "it's a bank and Olaf Berg is our champion")
    return me


def test_brief_shows_facts_centre_flags_and_next_actions(servers, nordstahl):
    brief = servers.say(nordstahl, "brief me on nordstahl")
    assert brief.startswith("Brief: Nordstahl")
    assert "Sector: steel & metals" in brief and "Perceived risk: unknown" in brief
    assert "- decider: Petra Lang (CFO)" in brief
    assert "- buyer: nobody known (!)" in brief
    assert "! " in brief and brief.count("(because ") == 3
    assert "Olaf" not in brief and "bank" not in brief


def test_brief_of_someone_elses_or_a_missing_deal_reveals_nothing(servers, nordstahl):
    reply = servers.say("rep-stranger", "brief me on Nordstahl")
    assert "no deal called Nordstahl" in reply
    assert "Petra" not in reply and "steel" not in reply


def test_list_update_rename_and_delete(servers, nordstahl):
    me = nordstahl
    servers.say(me, "new deal: Globex")
    listing = servers.say(me, "my deals")
    assert "Nordstahl: negotiation" in listing and "Globex: stage ?" in listing
    assert "!" in listing
    assert "Updated Globex" in servers.say(me, "update Globex: they're now negotiating")
    assert deal_of(servers, me, "Globex")["buying_stage"] == "negotiation"
    assert "Renamed Globex to Globex Europe" in servers.say(me, "rename Globex to Globex Europe")
    question = servers.say(me, "delete the globex europe deal")
    assert "Delete Globex Europe" in question and "[Yes, delete it]" in question
    assert "stays" in servers.say(me, "no")
    assert deal_of(servers, me, "Globex Europe")
    servers.say(me, "delete the Globex Europe deal")
    assert "Deleted Globex Europe" in servers.say(me, "yes")
    assert [d["company"] for d in servers.export(me)] == ["Nordstahl"]


def test_a_yes_long_after_delete_deal_deletes_nothing(servers):
    me = "rep-late-yes"
    servers.say(me, "new deal: Brackfield")
    servers.say(me, "they make paper, 400 people")
    assert "Delete Brackfield" in servers.say(me, "delete the Brackfield deal")
    servers.say(me, "my deals")  # the question was left unanswered
    reply = servers.say(me, "yes")
    assert "Deleted" not in reply
    assert deal_of(servers, me, "Brackfield")["employees"] == 400


def test_nobody_deletes_another_salespersons_deal(servers, nordstahl):
    reply = servers.say("rep-stranger", "delete the Nordstahl deal")
    assert "no deal called Nordstahl" in reply
    servers.say("rep-stranger", "yes")
    assert deal_of(servers, nordstahl, "Nordstahl")["sector"] == "steel_metals"
    assert deal_of(servers, "rep-other", "Nordstahl")["sector"] == "banking_finance"


def test_explain_then_example_then_apply_to_my_deal(servers, nordstahl):
    explained = servers.say(nordstahl, "what is a buying centre?")
    assert explained.startswith("Buying centre:") and "Source: Webster & Wind 1972" in explained
    assert "An example of buying centre" in servers.say(nordstahl, "give me an example")
    applied = servers.say(nordstahl, "what does that mean for my Nordstahl deal?")
    assert "at Nordstahl" in applied


def test_quiz_run_end_to_end_with_stored_score(servers):
    me = "rep-newbie"
    reply = servers.send(me, "quiz me on purchase situations")
    assert "Quiz on purchase situation: 5 questions" in reply[0]["text"]
    for number in range(1, 6):
        question = reply[-1]
        assert question["text"].startswith(f"Question {number}/5")
        # Answer with the first button: its payload carries a canonical concept id.
        payload = question["buttons"][0]["payload"]
        assert payload.startswith("/quiz_answer") and json.loads(payload[12:])["quiz_choice"]
        reply = servers.send(me, payload)
        assert re.match(r"(Right|Not quite)", reply[0]["text"])
    score = re.search(r"Done: (\d)/5", reply[-1]["text"])
    assert score
    progress = servers.say(me, "how am i doing?")
    assert f"Scores, oldest first: {score.group(1)}/5." in progress
    assert "Weakest topic: purchase situation" in progress


def test_typed_quiz_answers_and_stopping(servers):
    me = "rep-typist"
    servers.say(me, "quiz me")
    assert "Answer with a, b, c or d" in servers.say(me, "no idea")
    assert re.match(r"(Right|Not quite)", servers.say(me, "b"))
    assert "Quiz stopped" in servers.say(me, "stop")
