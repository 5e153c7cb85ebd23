"""Telling companies from people: understanding.names with the cues of knowledge/names.yml."""

import pytest

from dealcoach.understanding.names import NameResolver
from dealcoach.understanding.turns import entity_to_wire


@pytest.fixture(scope="module")
def resolve(kb, extractor):
    resolver = NameResolver(kb.name_cues)

    def _resolve(text, *names):
        found = []
        for kind, fragment in names:
            start = text.index(fragment)
            found.append(
                {"entity": kind, "value": fragment, "start": start, "end": start + len(fragment)}
            )
        facts = [entity_to_wire(e) for e in extractor.extract(text)]
        return [(n["entity"], n["value"]) for n in resolver.resolve(text, found, facts)]

    return _resolve


@pytest.mark.parametrize(
    "text, guessed, expected",
    [
        # A job title beside a name makes it a person, before or after it.
        ("plant manager Rui Carvalho decides", ("company", "Rui Carvalho"), "person"),
        ("Pascal Moreau is the marketing director", ("company", "Pascal Moreau"), "person"),
        ("the CFO, Petra Lang, likes us", ("company", "Petra Lang"), "person"),
        # Deal commands, deal words, legal forms and sectors make it a company.
        ("review Lundgren please", ("person", "Lundgren"), "company"),
        ("back to the Haddad deal", ("person", "Haddad"), "company"),
        ("new deal: Vestrum", ("person", "Vestrum"), "company"),
        ("new client - Orlova", ("person", "Orlova"), "company"),
        ("who do i call first at Adeyemi Motors", ("person", "Adeyemi Motors"), "company"),
        ("new deal with Sundaram, mid-sized pharma company", ("person", "Sundaram"), "company"),
        ("Okafor Group wants a pilot", ("person", "Okafor Group"), "company"),
        # No cue: the model's guess stands.
        ("Lena likes us", ("person", "Lena"), "person"),
        ("Lena likes us", ("company", "Lena"), "company"),
    ],
)
def test_the_neighbours_settle_the_kind(resolve, text, guessed, expected):
    assert resolve(text, guessed) == [(expected, guessed[1])]


def test_a_legal_form_joins_the_name(resolve):
    assert resolve("what now for Haugen AS", ("company", "Haugen")) == [("company", "Haugen AS")]
    cut = resolve("next step at Szymański Sp. z o.o.?", ("person", "Szymański Sp"))
    assert cut == [("company", "Szymański Sp. z o.o.")]


def test_a_capitalised_legal_form_must_be_written_so(resolve):
    # "as" is English; only "AS" is the Norwegian legal form.
    assert resolve("Anna as our champion", ("person", "Anna")) == [("person", "Anna")]


def test_fragments_of_one_name_are_joined(resolve):
    assert resolve(
        "rename vdb to Van den Berg BV", ("company", "Van den"), ("company", "Berg BV")
    ) == [("company", "Van den Berg BV")]
    assert resolve("Hamid Rahimi likes us", ("person", "Hamid"), ("person", "Rahimi")) == [
        ("person", "Hamid Rahimi")
    ]


def test_words_the_knowledge_base_reads_as_facts_are_no_names(resolve):
    assert resolve("it's a robotics startup", ("company", "robotics")) == []
    assert resolve("the CFO decides", ("person", "CFO")) == []
    assert resolve("Hollins & Grant", ("company", "&")) == []


def test_a_possessive_is_not_part_of_the_name(resolve):
    assert resolve("Halvorsen's ops manager asked for it", ("company", "Halvorsen's")) == [
        ("company", "Halvorsen")
    ]


def test_a_legal_form_finds_the_name_the_model_missed(resolve):
    assert resolve("ok so brannock ltd, they're in logistics") == [("company", "brannock ltd")]
    assert resolve("we sell to Van der Meer Logistics BV") == [
        ("company", "Van der Meer Logistics BV")
    ]
    assert resolve("how does that apply to Whitfield plc", ("company", "plc")) == [
        ("company", "Whitfield plc")
    ]
    assert resolve("they are AS good as us") == []


def test_a_pronoun_after_a_name_makes_it_a_person(resolve):
    assert resolve("how do i win over Ludovica, she's neutral", ("company", "Ludovica")) == [
        ("person", "Ludovica")
    ]


def test_a_deal_cue_outweighs_a_title_nearby(resolve):
    text = "Zhang Wei at Huaxin is the purchasing manager"
    assert resolve(text, ("person", "Zhang Wei"), ("person", "Huaxin")) == [
        ("person", "Zhang Wei"),
        ("company", "Huaxin"),
    ]


def test_a_name_from_or_at_another_name_is_a_person(resolve):
    text = "Ferhat from Demirtaş Holding is our champion"
    assert resolve(text, ("company", "Ferhat"), ("company", "Demirtaş Holding")) == [
        ("person", "Ferhat"),
        ("company", "Demirtaş Holding"),
    ]


def test_a_deal_command_names_the_client_the_model_missed(resolve):
    for text, name in [
        ("new deal: Clickco", "Clickco"),
        ("back to korsgaard hydraulics", "korsgaard hydraulics"),
        ("review the Acme deal", "Acme"),
    ]:
        assert resolve(text) == [("company", name)]
    assert resolve("start a review on Müller Robotics please") == []


@pytest.mark.parametrize(
    "text, person",
    [
        ("plant director, Juraj Baláž", "Juraj Baláž"),
        ("the CTO, Trần Quốc Bảo", "Trần Quốc Bảo"),
        ("their CFO Anne-Marie van Dijk signs", "Anne-Marie van Dijk"),
        ("Zuzana Hrušková (procurement) runs the RFQ", "Zuzana Hrušková"),
    ],
)
def test_a_capitalised_name_beside_a_title_is_a_person_the_model_missed(resolve, text, person):
    assert resolve(text) == [("person", person)]


@pytest.mark.parametrize(
    "text", ["the CEO. He is nice", "the cfo, IT and HR are involved", "the CFO The Hague office"]
)
def test_capitalised_words_that_are_no_name_stay_unnamed(resolve, text):
    assert resolve(text) == []
