"""Dutch over the REST webhook, against the real Rasa and action servers: switching
languages mid-conversation, and a review answered in Dutch while the salesperson types
its facts in English (understanding Dutch facts comes later). The deal stored is the
same whatever the language of the conversation."""

import re

RAW = re.compile(r"[{}]")


def deal_of(servers, owner, company):
    (deal,) = [d for d in servers.export(owner) if d["company"] == company]
    return deal


def test_switching_languages_mid_conversation(servers):
    me = "rep-lotte"
    assert "New deal: Brouwerij Kees" in servers.say(me, "let's review the Brouwerij Kees deal")
    reply = servers.say(me, "kan het in het Nederlands?")
    assert "Vanaf nu antwoord ik in het Nederlands." in reply
    # From the next reply on, everything is Dutch: the coach's texts...
    reply = servers.say(me, "it's a food & beverage company with 80 employees")
    assert "Genoteerd:" in reply and "voeding & dranken" in reply, reply
    # ...and the responses Rasa's rules say (the language slot).
    assert "Ik help je B2B-deals" in servers.say(me, "help")
    reply = servers.say(me, "English please")
    assert "From now on I'll answer in English." in reply
    assert "I help you review B2B deals" in servers.say(me, "help")
    reply = servers.say(me, "spreek Nederlands")
    assert "Vanaf nu antwoord ik in het Nederlands." in reply
    assert "Nieuwe deal: Hoeve Janssen" in servers.say(me, "new deal: Hoeve Janssen")


def test_a_dutch_review_with_facts_typed_in_english(servers):
    me = "rep-joris"
    assert "Vanaf nu" in servers.say(me, "Nederlands graag")
    reply = servers.say(me, "let's review the Nordstahl deal")
    assert "Nieuwe deal: Nordstahl" in reply, reply
    reply = servers.say(me, "they're still writing the spec and it's a strategic purchase for them")
    assert "Genoteerd:" in reply and "specificatie" in reply and "hoog" in reply, reply
    reply = servers.say(
        me, "the CFO makes the final call, it's a new purchase for a 2000-person steel company"
    )
    assert "CFO (naam onbekend) - beslisser" in reply, reply
    assert "2000 medewerkers" in reply
    servers.say(me, "Petra Lang is the CFO")
    servers.say(me, "Jan writes the spec")
    servers.say(me, "skip")
    servers.say(me, "the operators will use it every day")
    servers.say(me, '/give_facts{"stance": "champion", "person": "Petra Lang"}')
    servers.say(me, "yes")
    servers.say(me, "neutral i think")
    final = servers.say(me, "haven't met him yet")
    assert "De review van Nordstahl is klaar" in final, final
    assert final.count("Waarom:") == 3 and final.count("Principe:") == 3, final
    assert not RAW.search(final)
    brief = servers.say(me, "brief me on Nordstahl")
    assert brief.startswith("Briefing: Nordstahl") and "staal & metaal" in brief, brief

    # Stored in canonical values, whatever the language of the conversation.
    deal = deal_of(servers, me, "Nordstahl")
    assert (deal["sector"], deal["purchase_situation"]) == ("steel_metals", "new_task")
    assert (deal["buying_stage"], deal["perceived_risk"]) == ("specification", "high")
    assert (deal["employees"], deal["company_size"]) == (2000, "large")
    roles = {p["name"] or p["title"]: p["roles"] for p in deal["stakeholders"]}
    assert roles["Petra Lang"] == ["decider"] and roles["Jan"] == ["prescriber"]
    # The same deal briefs in English for a salesperson who asks for English.
    servers.say(me, "English please")
    assert servers.say(me, "brief me on Nordstahl").startswith("Brief: Nordstahl")
