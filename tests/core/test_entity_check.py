"""Entities are checked before the actions use them: hand-typed payloads and odd names."""

import pytest

from dealcoach.understanding.entity_check import MAX_NAME_LENGTH, checked_entities, clean_name


def check(kb, entity, value):
    kept = checked_entities(kb, [{"entity": entity, "value": value, "start": 0}])
    return kept[0]["value"] if kept else None


@pytest.mark.parametrize(
    "entity, value, expected",
    [
        ("sector", "pharma", "pharma"),
        ("role", "decider", "decider"),
        ("employees", "2000", 2000),
        ("employees", 150, 150),
        ("concept", "buying_centre", "buying_centre"),
        ("person", "  Petra   Lang ", "Petra Lang"),
    ],
)
def test_what_the_deal_model_knows_gets_through(kb, entity, value, expected):
    assert check(kb, entity, value) == expected


@pytest.mark.parametrize(
    "entity, value",
    [
        ("sector", "not_a_sector"),
        ("role", "emperor"),
        ("met", 5),
        ("employees", "lots"),
        ("employees", -5),
        ("employees", 0),
        ("employees", 1e30),
        ("employees", "99999999999999999999"),
        ("employees", True),
        ("person", ""),
        ("person", "   "),
        ("person", {"a": 1}),
        ("company", ["a", "b"]),
        ("company", None),
        ("quiz_choice", "x"),
        ("favourite_colour", "blue"),
    ],
)
def test_values_it_cannot_hold_are_dropped(kb, entity, value):
    assert check(kb, entity, value) is None


def test_entities_that_are_not_entities_are_dropped(kb):
    assert checked_entities(kb, ["sector", None, {"value": "pharma"}, {"entity": 3}]) == []


def test_names_lose_control_and_formatting_characters():
    assert clean_name("Acme\x00\x1b[31m Corp\u202e\u200b") == "Acme [31m Corp"
    assert clean_name("Nord\nstahl\t AG") == "Nord stahl AG"
    assert (
        clean_name("\u05e9\u05dc\u05d5\u05dd \U0001f680") == "\u05e9\u05dc\u05d5\u05dd \U0001f680"
    )


def test_long_names_are_cut():
    name = clean_name("Vereinigte Stahlwerke " * 20)
    assert len(name) <= MAX_NAME_LENGTH and name.startswith("Vereinigte Stahlwerke")
