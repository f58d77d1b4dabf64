"""replies.parsing.topics: the topic keywords that tag each section.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

from replies.parsing import DEFAULT_TOPICS, parse_letter
from tests.replies.parsing.letters import invented_letter


def test_custom_topics_replace_the_defaults() -> None:
    """A topics mapping from the database is used instead of DEFAULT_TOPICS."""
    text = invented_letter("一、关于资金", "已拨付资金。", "二、关于道路", "已修好道路。")
    letter = parse_letter(text, topics={"roads": ("道路",)})
    assert [s.topic for s in letter.sections] == [None, "roads"]
    assert {"funding", "talent", "enterprise", "incubator", "finance"} <= set(DEFAULT_TOPICS)
    assert all(key.isascii() for key in DEFAULT_TOPICS)
