"""replies.parsing.dates: the reply date, read from the signature in every written form;
the web page's publication date is kept apart.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

from datetime import date

import pytest

from replies.parsing import parse_letter
from tests.replies.parsing.letters import invented_letter


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2021年7月9日", date(2021, 7, 9)),
        ("二〇二一年七月九日", date(2021, 7, 9)),
        ("二0一七年八月二十五日", date(2017, 8, 25)),
        ("二○一九年十二月三十一日", date(2019, 12, 31)),
        ("2021-07-09", date(2021, 7, 9)),
        ("20211026", date(2021, 10, 26)),
        ("2021.7.9", date(2021, 7, 9)),
        ("2021/7/9", date(2021, 7, 9)),
        ("２０２１年７月９日", date(2021, 7, 9)),
    ],
)
def test_signature_date_in_every_written_form(written: str, expected: date) -> None:
    """The signature date is read whichever way the clerk wrote it."""
    letter = parse_letter(invented_letter("我局已完成道路改造。", when=written))
    assert letter.reply_date == expected
    assert letter.agency == "某某县交通运输局"


def test_signature_date_beats_web_publication_date() -> None:
    """公开日期 is when the page went up; the letter's own date wins."""
    text = "公开日期：2021-08-30\n" + invented_letter("我局已完成道路改造。", when="2021年7月9日")
    letter = parse_letter(text)
    assert letter.reply_date == date(2021, 7, 9)
    assert letter.publish_date == date(2021, 8, 30)


def test_publication_date_alone_is_not_a_reply_date() -> None:
    """Without signature or 成文日期 the reply date stays unknown, with a warning."""
    text = "发布时间：2021-08-30 10:12\n" + "\n".join(
        ["张三委员：", "您提出的《关于改善城区交通的提案》收悉，现答复如下：", "我局已完成改造。"]
    )
    letter = parse_letter(text)
    assert letter.reply_date is None
    assert letter.publish_date == date(2021, 8, 30)
    assert "未找到答复日期" in letter.warnings
