"""Slack Block Kit layouts for the brief and the advice (plain text elsewhere).

The brief's buying centre is drawn as a map as far as Block Kit can: a field per role
(the lanes of ``dealcoach.coaching.panel``), each person with their stance as an emoji
*and* its word, met or not; a key role nobody holds as an empty seat.

Plain Python: the actions send these as a custom JSON message when the
conversation comes from Slack. Limits kept: a section's text under 3,000
characters, at most 10 fields per section.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from dealcoach.coaching.advice import AdviceReport, format_advice, sharpen_text
from dealcoach.coaching.brief import Brief, format_brief
from dealcoach.coaching.panel import Card, DealPanel, Lane
from dealcoach.knowledge_base.loader import KnowledgeBase

Block = Dict[str, Any]
_SECTION_LIMIT = 2900
_FIELD_LIMIT = 1900
_FIELDS_PER_SECTION = 10
#: A stance as Slack shows it beside its word (never alone: not everyone sees colour).
STANCE_EMOJI = {
    "champion": ":star2:",
    "supporter": ":large_green_circle:",
    "neutral": ":white_circle:",
    "opponent": ":red_circle:",
    "unknown": ":grey_question:",
}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}}


def _button(title: str, payload: str) -> Block:
    return {"type": "button", "text": {"type": "plain_text", "text": title}, "value": payload}


def _kb(report: AdviceReport) -> KnowledgeBase:
    """The knowledge base the advice was worded with: the layout speaks its language."""
    assert report.kb is not None, "an AdviceReport made by advise() knows its knowledge base"
    return report.kb


def advice_blocks(report: AdviceReport, company: str) -> List[Block]:
    kb = _kb(report)
    title = kb.phrase("slack_next_on", company=company)
    blocks: List[Block] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    for number, item in enumerate(report.advice, start=1):
        blocks.append(
            _section(
                kb.phrase(
                    "slack_advice",
                    number=number,
                    advice=item.advice,
                    because=item.because,
                    principle=item.principle,
                )
            )
        )
    sharpen = sharpen_text(kb, report.sharpen)
    if sharpen:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": sharpen}]})
    return blocks


def _person(card: Card, labels: Dict[str, str]) -> str:
    title = f" ({card.title})" if card.title else ""
    assumed = f", _{labels.get('assumed', '')}_" if card.assumed else ""
    emoji = STANCE_EMOJI.get(card.stance, STANCE_EMOJI["unknown"])
    return f"{emoji} {card.name}{title}: {card.stance_label}, {card.met_label}{assumed}"


def _lane_field(lane: Lane, labels: Dict[str, str]) -> Block:
    if lane.empty_seat:
        people = f":warning: *{labels.get('empty_seat', '')}*"
    else:
        people = "\n".join(_person(card, labels) for card in lane.cards)
    return {"type": "mrkdwn", "text": f"*{lane.label}*\n{people}"[:_FIELD_LIMIT]}


def map_blocks(panel: DealPanel, labels: Dict[str, str]) -> List[Block]:
    """The buying-centre map: a heading, then sections of one field per role."""
    fields = [_lane_field(lane, labels) for lane in panel.lanes]
    blocks: List[Block] = [_section(f"*{labels.get('map', '')}*")]
    for start in range(0, len(fields), _FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start : start + _FIELDS_PER_SECTION]})
    return blocks


def brief_blocks(
    brief: Brief, panel: DealPanel | None = None, labels: Dict[str, str] | None = None
) -> List[Block]:
    """The brief; with its ``panel``, the buying centre as a map of fields per role
    (labelled by ``labels``, else the panel labels of the brief's language), else as
    lines. Every word in the language the brief was made in."""
    kb = _kb(brief.advice)
    title = kb.phrase("brief_title", company=brief.company)
    nobody = kb.phrase("slack_nobody")
    centre = (
        map_blocks(panel, labels or kb.web.panel)
        if panel is not None
        else [
            _section(
                kb.phrase("slack_people")
                + "\n"
                + "\n".join(f"• {role}: {holders or nobody}" for role, holders in brief.centre)
            )
        ]
    )
    blocks: List[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in brief.facts
            ][:10],
        },
        *centre,
    ]
    if brief.flags:
        blocks.append(
            _section(
                kb.phrase("slack_flags")
                + "\n"
                + "\n".join(f":warning: {f.flag}" for f in brief.flags)
            )
        )
    blocks += advice_blocks(brief.advice, brief.company)[1:]
    blocks.append(
        {
            "type": "actions",
            "elements": [
                _button(
                    kb.phrase("slack_continue"),
                    "/start_review" + json.dumps({"company": brief.company}),
                ),
                _button(kb.phrase("slack_my_deals"), "/list_deals"),
            ],
        }
    )
    return blocks


def slack_message(blocks: List[Block], fallback: str) -> Dict[str, Any]:
    """A custom JSON message: the blocks, and the text notifications show."""
    return {"text": fallback[:_SECTION_LIMIT], "blocks": blocks}


def brief_message(
    brief: Brief, panel: DealPanel | None = None, labels: Dict[str, str] | None = None
) -> Dict[str, Any]:
    return slack_message(brief_blocks(brief, panel, labels), format_brief(brief))


def advice_message(report: AdviceReport, company: str) -> Dict[str, Any]:
    return slack_message(advice_blocks(report, company), format_advice(report, company))
