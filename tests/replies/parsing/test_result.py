"""replies.parsing.result: ParsedLetter.as_dict is JSON-ready.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

import json

from replies.parsing import parse_letter
from tests.replies.parsing.letters import invented_letter


def test_as_dict_shape_is_json_ready() -> None:
    """as_dict has exactly the documented keys, in order, with ISO dates and plain numbers."""
    letter = parse_letter(
        invented_letter(
            "一、关于建设", "下一步，我们将新增停车位300个。", "二、关于规划", "已完成。"
        )
    )
    data = letter.as_dict()
    assert list(data) == [
        "title",
        "index_number",
        "session",
        "proposal_number",
        "kind",
        "reply_role",
        "proposal_title",
        "proposers",
        "agency",
        "reply_date",
        "doc_number",
        "classification",
        "sections",
        "promises",
        "derived_sections",
        "pages",
        "warnings",
    ]
    assert data["reply_date"] == "2021-07-09"
    section = data["sections"][0]
    assert list(section) == [
        "number",
        "marker",
        "heading",
        "text",
        "topic",
        "commitments",
        "targets",
        "promises",
        "due_on",
        "derived",
    ]
    assert section["targets"][0]["quantity"] == 300
    assert isinstance(section["targets"][0]["quantity"], int)
    json.dumps(data, ensure_ascii=False)
