"""A whole deal review over the REST webhook, against the real Rasa and action servers."""

import json


def payload(**entities):
    return "/give_facts" + json.dumps(entities)


def deal_of(servers, owner, company):
    (deal,) = [d for d in servers.export(owner) if d["company"] == company]
    return deal


def people(deal):
    return {p["name"] or p["title"]: p for p in deal["stakeholders"]}


def test_review_typed_as_a_salesperson_ends_stored_with_advice(servers):
    me = "rep-anna"
    assert "New deal: Nordstahl" in servers.say(me, "let's review the Nordstahl deal")
    # Facts out of order, several in one message, before being asked.
    reply = servers.say(me, "they're still writing the spec and it's a strategic purchase for them")
    assert "specification" in reply and "high" in reply
    reply = servers.say(
        me, "the CFO makes the final call, it's a new purchase for a 2000-person steel company"
    )
    assert "CFO (name unknown) - decider" in reply
    assert "Petra Lang (CFO) - decider" in servers.say(me, "Petra Lang is the CFO")
    assert "Jan - prescriber" in servers.say(me, "Jan writes the spec")
    assert "the buyer: unknown" in servers.say(me, "skip")
    servers.say(me, "the operators will use it every day")
    # Closed questions come with buttons; a button sends canonical values.
    reply = servers.say(me, payload(stance="champion", person="Petra Lang"))
    assert "champion" in reply and "Have you met Petra Lang yet?" in reply
    servers.say(me, "yes")
    servers.say(me, "neutral i think")
    final = servers.say(me, "haven't met him yet")
    assert "review of Nordstahl done" in final
    assert final.count("Why: because") == 3 and final.count("Principle:") == 3
    assert "new task" in final

    deal = deal_of(servers, me, "Nordstahl")
    assert deal["sector"] == "steel_metals"
    assert (deal["employees"], deal["company_size"]) == (2000, "large")
    assert deal["purchase_situation"] == "new_task"
    assert deal["buying_stage"] == "specification"
    assert deal["perceived_risk"] == "high"
    found = people(deal)
    assert found["Petra Lang"]["roles"] == ["decider"]
    assert (found["Petra Lang"]["stance"], found["Petra Lang"]["met"]) == ("champion", True)
    assert found["Jan"]["roles"] == ["prescriber"]
    assert (found["Jan"]["stance"], found["Jan"]["met"]) == ("neutral", False)
    assert found["operators"]["roles"] == ["user"]


def test_correction_replaces_the_old_fact(servers):
    me = "rep-ben"
    servers.say(me, "new deal: Globex")
    servers.say(me, "Jan is the decider and it's a new purchase")
    servers.say(me, "no, Jan is the buyer, not the decider")
    servers.say(me, "actually it's a modified rebuy")
    deal = deal_of(servers, me, "Globex")
    assert deal["purchase_situation"] == "modified_rebuy"
    assert people(deal)["Jan"]["roles"] == ["buyer"]


def test_pause_and_come_back_where_we_stopped(servers):
    me = "rep-carla"
    servers.say(me, "new deal: Vandermolen")
    before = servers.say(me, "logistics company with about 150 people")
    question = before.splitlines()[1]
    assert "Paused Vandermolen" in servers.say(me, "stop")
    assert servers.say(me, "what should i do next?").count("Why: because") == 3
    resumed = servers.say(me, "back to Vandermolen")
    assert "Back to Vandermolen" in resumed
    assert question in resumed
    deal = deal_of(servers, me, "Vandermolen")
    assert (deal["sector"], deal["employees"]) == ("logistics", 150)


def test_two_salespeople_with_the_same_client_have_two_deals(servers):
    servers.say("rep-dan", "let's review the Acme deal")
    servers.say("rep-dan", "robotics company")
    servers.say("rep-eve", "let's review the Acme deal")
    servers.say("rep-eve", "it's a hospital")
    assert deal_of(servers, "rep-dan", "Acme")["sector"] == "robotics"
    assert deal_of(servers, "rep-eve", "Acme")["sector"] == "healthcare"
    brief = servers.say("rep-eve", "what should i do next?")
    assert "robotics" not in brief


def test_facts_before_a_deal_is_named_are_kept(servers):
    me = "rep-fay"
    assert "Which client" in servers.say(me, "the CFO makes the final call")
    servers.say(me, "new deal: Hooli")
    assert people(deal_of(servers, me, "Hooli"))["CFO"]["roles"] == ["decider"]


def test_facts_before_the_client_then_its_bare_name_start_the_review(servers):
    me = "rep-bare"
    asked = servers.say(me, "they run freight ferries up the coast, maybe 680 staff")
    assert "Which client is this about?" in asked
    # Typed as the answer: a name the recogniser may cut, kind or take for a command.
    started = servers.say(me, "Fjordlinja Frakt")
    assert "New deal: Fjordlinja Frakt" in started and "680 employees" in started
    deal = deal_of(servers, me, "Fjordlinja Frakt")
    assert (deal["sector"], deal["employees"]) == ("logistics", 680)
    # A short reply that is no name is not taken for one.
    assert "Which client is this about?" in servers.say("rep-bare-2", "they make boxes, 90 people")
    servers.say("rep-bare-2", "skip")
    assert servers.export("rep-bare-2") == []


def test_a_no_to_the_coachs_reading_says_what_it_dropped(servers):
    from testkit.loopback import http
    from tests.e2e.servers import API_TOKEN

    me = "rep-check"
    servers.say(me, "new deal: Corvina Foods")
    # The state after "Sounds like buying stage: supplier search, right?" (the coach
    # asks it only when unsure, which no message can be relied on to make it).
    http(
        "POST",
        f"{servers.url}/conversations/{me}/tracker/events?token={API_TOKEN}",
        [{"event": "slot", "name": "pending_check", "value": {"buying_stage": "supplier_search"}}],
    )
    reply = servers.say(me, "no")
    assert "OK, not supplier search" in reply
    assert "didn't catch" not in reply
    assert deal_of(servers, me, "Corvina Foods")["buying_stage"] is None
