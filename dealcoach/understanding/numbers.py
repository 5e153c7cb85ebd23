"""Employee counts as salespeople type them: "2,000", "2k", "1.5k", "two thousand".

``find_employee_counts`` locates a count followed by a word for people
("2000 employees", "a 2000-person firm", "about 150 staff"); ``parse_count``
turns the number part into an integer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_SUFFIXES = {"k": 1_000, "m": 1_000_000, "mio": 1_000_000}

_WORD = "|".join(sorted(list(_UNITS) + list(_SCALES), key=len, reverse=True))
# "a hundred", "a dozen" but not a bare "a" ("a person").
_WORD_NUMBER = (
    rf"(?:(?:an?\s+(?=hundred|thousand|dozen))?(?:{_WORD})(?:[\s-]+(?:and\s+)?(?:{_WORD}))*)"
)
_DIGIT_NUMBER = r"(?:\d{1,3}(?:[,.\s]\d{3})+|\d+(?:[.,]\d+)?)\s?(?:k|m|mio|thousand|hundred)?"
_PEOPLE = (
    r"(?:employees?|emps|people|ppl|persons?|staff(?:ers)?|workers?|heads?|headcount|ftes?|"
    r"fte|colleagues|strong|man|men|guys|folks|hands|souls|empleados|mitarbeiter)"
)
# Firms where one trade is most of the payroll count their people by it ("45 devs",
# "120 lawyers + staff", "600 civil servants"). A small number of them is a group
# met or mentioned ("2 engineers came to the demo"), so only ten or more count.
_TRADES = (
    r"(?:devs|developers|programmers|engineers|lawyers|attorneys|teachers|nurses|doctors|"
    r"scientists|researchers|consultants|accountants|technicians|techs|drivers|riders|"
    r"civil\s+servants|faculty)"
)
_TRADE_MINIMUM = 10
# Words that may stand between the number and the people: "60 permanent staff".
_PEOPLE_ADJECTIVES = r"(?:(?:fte|full[\s-]time|permanent|direct|regular|office)\s+)?"
# "900ish", "200-ish": the approximate count is still the count.
_ABOUT = r"(?:\s?-?ish)?"
_COUNT_RE = re.compile(
    rf"(?<![\w.,])(?P<number>{_DIGIT_NUMBER}|{_WORD_NUMBER}){_ABOUT}\+?(?:\s*-\s*|\s+)"
    rf"{_PEOPLE_ADJECTIVES}(?:{_PEOPLE}|(?P<trade>{_TRADES}))\b",
    re.IGNORECASE,
)
# "250 on the payroll", "a team of 20", "staff of 35".
_PAYROLL_RE = re.compile(
    rf"(?<![\w.,])(?P<number>{_DIGIT_NUMBER}){_ABOUT}\+?\s+on\s+(?:the\s+|their\s+)?payroll\b"
    rf"|\b(?:team|staff|workforce|crew)\s+of\s+(?:about\s+|around\s+|roughly\s+|~\s?)?"
    rf"(?P<number2>{_DIGIT_NUMBER})(?![\w,.]\d)",
    re.IGNORECASE,
)
_HEADCOUNT_RE = re.compile(
    rf"\b(?:headcount|head count|employees|staff|workforce)\s*(?:of|is|:|=|around|about|of about)?"
    rf"\s*(?:about|around|roughly|approx\.?|~|some|circa|ca\.?)?\s*"
    rf"(?P<number>{_DIGIT_NUMBER})(?![\w,.]\d)",
    re.IGNORECASE,
)

_DEPARTMENT_BEFORE = re.compile(
    r"\b(?:it|sales|dev|development|marketing|finance|hr|ops|operations|support|project|"
    r"maintenance|engineering|procurement|purchasing|service|field|management|design|"
    r"legal|quality|data|security)\s+$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Count:
    """An employee count found in a text, with its character span."""

    value: int
    start: int
    end: int


def parse_count(text: str) -> int | None:
    """Turn "2,000", "2k", "1.5k", "2 000" or "two thousand" into an int; None if it is none."""
    cleaned = text.strip().lower().replace("~", "").strip()
    if not cleaned:
        return None
    match = re.fullmatch(r"(\d+(?:[.,]\d+)*)\s?(k|m|mio|thousand|hundred)?", cleaned)
    if not match:
        match = re.fullmatch(r"(\d{1,3}(?:\s\d{3})+)\s?(k|m|mio|thousand|hundred)?", cleaned)
    if match:
        return _parse_digits(match.group(1), match.group(2))
    return _parse_words(cleaned)


def _parse_digits(number: str, suffix: str | None) -> int | None:
    scale = _SUFFIXES.get(suffix or "") or _SCALES.get(suffix or "") or 1
    if scale == 1 and re.fullmatch(r"\d{1,3}(?:[,.\s]\d{3})+", number):
        # With no scale, "2,000", "2.000" and "2 000" all group thousands.
        return int(re.sub(r"[,.\s]", "", number))
    try:
        return int(round(float(number.replace(",", ".")) * scale))
    except ValueError:
        return None


def _parse_words(text: str) -> int | None:
    words = [w for w in re.split(r"[\s-]+", text) if w and w not in ("and", "a", "an")]
    if not words:
        return None
    total, current = 0, 0
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current = 0
        else:
            return None
    return total + current


def find_employee_counts(text: str) -> List[Count]:
    """Every "N employees"-like mention in the text, with its value and span."""
    found: List[Count] = []
    for regex in (_COUNT_RE, _HEADCOUNT_RE, _PAYROLL_RE):
        for match in regex.finditer(text):
            number = match.group("number") or match.groupdict().get("number2")
            if _DEPARTMENT_BEFORE.search(text, 0, match.start()):
                continue  # "their sales team of 40" counts a department, not the firm
            value = parse_count(number or "")
            if value is None or value <= 0:
                continue
            if match.groupdict().get("trade") and value < _TRADE_MINIMUM:
                continue
            start, end = match.span()
            if any(start < c.end and c.start < end for c in found):
                continue
            found.append(Count(value=value, start=start, end=end))
    return sorted(found, key=lambda c: c.start)
