"""Slack Block Kit layouts for the brief and the advice (plain text elsewhere).

Plain Python: the actions send these as a custom JSON message when the
conversation comes from Slack. Limits kept: a section's text under 3,000
characters, at most 10 fields per section.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from dealcoach.coaching.advice import AdviceReport, format_advice, sharpen_text
from dealcoach.coaching.brief import Brief, format_brief
from dealcoach.knowledge_base.loader import KnowledgeBase

Block = Dict[str, Any]
_SECTION_LIMIT = 2900


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


def brief_blocks(brief: Brief) -> List[Block]:
    kb = _kb(brief.advice)
    title = kb.phrase("brief_title", company=brief.company)
    nobody = kb.phrase("slack_nobody")
    blocks: List[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in brief.facts
            ][:10],
        },
        _section(
            kb.phrase("slack_people")
            + "\n"
            + "\n".join(f"• {role}: {holders or nobody}" for role, holders in brief.centre)
        ),
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


def brief_message(brief: Brief) -> Dict[str, Any]:
    return slack_message(brief_blocks(brief), format_brief(brief))


def advice_message(report: AdviceReport, company: str) -> Dict[str, Any]:
    return slack_message(advice_blocks(report, company), format_advice(report, company))
