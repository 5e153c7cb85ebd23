import pytest

from dealcoach.understanding.numbers import find_employee_counts, parse_count


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2,000", 2000),
        ("2.000", 2000),
        ("2 000", 2000),
        ("2k", 2000),
        ("2K", 2000),
        ("1.5k", 1500),
        ("150", 150),
        ("two thousand", 2000),
        ("a hundred and fifty", 150),
        ("twenty-five", 25),
        ("three hundred", 300),
        ("", None),
        ("lots", None),
    ],
)
def test_parse_count(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a 2000-person steel company", [2000]),
        ("2k staff", [2000]),
        ("about 150 people", [150]),
        ("two thousand employees", [2000]),
        ("headcount of 320", [320]),
        ("they're 45 FTE", [45]),
        ("2,000 employees on 3 sites", [2000]),
        ("a 20-man shop", [20]),
        ("we sold them 5 machines", []),
        ("meeting at 10 with 3 of their engineers", []),
        ("a print shop, 70ish people", [70]),
        ("around 300-ish staff", [300]),
        ("an agency with 85 developers", [85]),
        ("4 developers joined the call", []),
        ("1,400 on the payroll", [1400]),
        ("a small crew of 18", [18]),
        ("their finance team of 25 runs it", []),
        ("about 40 permanent workers", [40]),
    ],
)
def test_find_employee_counts(text, expected):
    assert [c.value for c in find_employee_counts(text)] == expected


def test_count_span_points_at_the_mention():
    text = "steel firm, about 150 people"
    (count,) = find_employee_counts(text)
    assert text[count.start : count.end] == "150 people"
