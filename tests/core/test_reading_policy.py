"""The reading policy's thresholds, as config.yml sets them."""

from dealcoach.understanding.reading import ReadingPolicy


def test_a_fact_type_without_its_own_threshold_uses_accept():
    policy = ReadingPolicy.from_dict({"accept": 0.45, "accept_by_type": {"perceived_risk": 0.8}})
    assert policy.accept_for("perceived_risk") == 0.8
    assert policy.accept_for("buying_stage") == 0.45


def test_the_default_thresholds_are_stricter_for_risk_than_for_supplier_position():
    policy = ReadingPolicy()
    assert (
        policy.accept_for("perceived_risk") > policy.accept > policy.accept_for("supplier_position")
    )


def test_unknown_settings_are_ignored_and_numbers_read_from_text():
    policy = ReadingPolicy.from_dict({"accept": "0.6", "no_such_setting": 1})
    assert policy.accept == 0.6
    assert policy.accept_for("role") == dict(ReadingPolicy().accept_by_type)["role"]


def test_clause_reading_is_set_per_fact_type():
    policy = ReadingPolicy.from_dict({"clause_types": ["buying_stage"], "clause_words": "20"})
    assert policy.clause_types == ("buying_stage",) and policy.clause_words == 20
    assert ReadingPolicy.from_dict({"clause_types": []}).clause_types == ()


def test_the_models_read_only_words_the_rules_left():
    from dealcoach.understanding.reading import words_left_unread

    count = [{"entity": "employees", "value": "2000", "start": 0, "end": 8}]
    # A head count and nothing else: no ground for a guess at the sector.
    assert words_left_unread("2k staff", count) == []
    assert words_left_unread("2k staff, hotels on the coast", count) == ["hotels", "coast"]
    assert (
        words_left_unread("they have about 2k staff", [{**count[0], "start": 16, "end": 24}]) == []
    )
    # Entities without a span (learned ones) hide nothing.
    assert words_left_unread("a bank", [{"entity": "sector", "value": "banking_finance"}]) == [
        "bank"
    ]


def test_a_message_of_names_only_is_told_from_one_with_words_around_them():
    from dealcoach.understanding.reading import only_names

    def names(text, *found):
        return [{"start": text.index(n), "end": text.index(n) + len(n)} for n in found]

    assert only_names("jana dvořáková", names("jana dvořáková", "jana dvořáková"))
    assert only_names("Bluegum Hardware.", names("Bluegum Hardware.", "Bluegum Hardware"))
    assert only_names("Petra, Jan", names("Petra, Jan", "Petra", "Jan"))
    assert not only_names("hi Petra", names("hi Petra", "Petra"))
    assert not only_names("review Acme", names("review Acme", "Acme"))
