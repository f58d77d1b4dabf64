"""replies.parsing.fields: session, number, doc number, class, proposers, the cited title
and the kind of a letter.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

from datetime import date

import pytest

from replies.parsing import parse_letter
from tests.replies.parsing.letters import invented_letter


@pytest.mark.parametrize(
    ("title", "session"),
    [
        ("关于市政协第15届委员会第5次会议第12号提案的答复", "十五届五次会议"),
        ("对市政协十五届五次会议第12号提案的答复", "十五届五次会议"),
        ("关于县第二届人大一次会议第12号建议的答复", "二届一次会议"),
        ("关于政协某某县第十届委员会第二次会议第12号提案的复函", "十届二次会议"),
        ("对某某市第十四届人民代表大会第四次会议第12号建议的答复", "十四届四次会议"),
        ("关于市政协第二十一届三次会议第12号提案的答复", "二十一届三次会议"),
    ],
)
def test_session_is_normalised_to_chinese_numerals(title: str, session: str) -> None:
    """Arabic or Chinese numerals, with or without 第 and the body's name, give one label."""
    letter = parse_letter(title + "\n" + invented_letter("我局已完成道路改造。"))
    assert letter.session == session
    assert letter.proposal_number == "12"


def test_session_split_over_two_title_lines() -> None:
    """A title broken after 人民代表大会 still yields the session and number."""
    text = "对某某市第十四届人民代表大会\n第四次会议第275号建议的答复\n" + invented_letter(
        "已完成。"
    )
    letter = parse_letter(text)
    assert letter.session == "十四届四次会议"
    assert letter.proposal_number == "275"
    assert letter.title == "对某某市第十四届人民代表大会第四次会议第275号建议的答复"


@pytest.mark.parametrize(
    ("line", "number"),
    [("第D022号提案", "D022"), ("第８９号提案", "89"), ("提案编号：A105", "A105")],
)
def test_proposal_number_as_written(line: str, number: str) -> None:
    """The number keeps its letters, drops 第/号, and full-width digits are read."""
    letter = parse_letter(f"关于市政协十五届五次会议{line}的答复\n" + invented_letter("已完成。"))
    assert letter.proposal_number == number


@pytest.mark.parametrize(
    "doc",
    ["某交函〔2023〕34号", "某交函【2023】34号", "某交函[2023]34号", "某交建议字〔2023〕第15号"],
)
def test_doc_number_in_each_bracket_form(doc: str) -> None:
    """〔〕, 【】 and [ ] doc numbers are kept exactly as written."""
    letter = parse_letter("关于第12号提案的复函\n" + doc + "\n" + invented_letter("已完成。"))
    assert letter.doc_number == doc


def test_doc_number_cited_in_the_body_is_not_the_letters() -> None:
    """A policy document quoted in a section is not this letter's 文号."""
    letter = parse_letter(
        invented_letter("一、已出台《若干措施》（某发〔2020〕15号）。", "二、已完成。")
    )
    assert letter.doc_number is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("办理结果：A", "A"),
        ("类 别:B", "B"),
        ("类别：C类", "C"),
        ("（B类）", "B"),
        ("〔A〕", "A"),
        ("某教字〔2018〕27号C类", "C"),
        ("B类", "B"),
    ],
)
def test_classification_forms(line: str, expected: str) -> None:
    """The handling class is read from labels, brackets and the '…号C类' suffix."""
    letter = parse_letter("关于第12号提案的答复\n" + line + "\n" + invented_letter("已完成。"))
    assert letter.classification == expected


def test_classification_footnote_is_not_a_class() -> None:
    """'注:A类指…' explains the classes; it does not classify this letter."""
    text = (
        invented_letter("已完成。") + "\n注：A类指所提问题已经解决，B类指正在解决，C类指留作参考。"
    )
    letter = parse_letter(text)
    assert letter.classification is None
    assert letter.reply_date == date(2021, 7, 9)


@pytest.mark.parametrize(
    ("salutation", "proposers"),
    [
        ("张三、李四委员：", ("张三", "李四")),
        ("张三 李四等委员：", ("张三", "李四")),
        ("尊敬的王五委员：", ("王五",)),
        ("赵六政协委员：", ("赵六",)),
        ("钱七代表您好：", ("钱七",)),
        ("孙八等5位委员：", ("孙八",)),
        ("xxx委员：", ()),
        ("XX代表：", ()),
    ],
)
def test_proposers_from_the_salutation(salutation: str, proposers: tuple[str, ...]) -> None:
    """Joint lists are split; 委员/代表/等 are stripped; placeholders give no proposer."""
    text = salutation + "\n您提出的《关于改善城区交通的提案》收悉，现答复如下：\n已完成。"
    letter = parse_letter(text)
    assert letter.proposers == proposers


def test_group_proposer_and_bracketed_note() -> None:
    """A party committee signs as a group; a bracketed note is not part of a name."""
    group = parse_letter("九三学社某某市委员会：\n贵委提出的《关于推进数字乡村建设的提案》收悉。")
    assert group.proposers == ("九三学社某某市委员会",)
    noted = parse_letter("张三（领衔）、李四委员：\n您们提出的提案收悉。")
    assert noted.proposers == ("张三", "李四")


def test_cited_title_preferred_over_other_quotes() -> None:
    """A law quoted before the citation is not the proposal's title."""
    intro = "根据《中华人民共和国城乡规划法》，你们提出的关于加快老旧小区改造的建议收悉。"
    assert parse_letter("王五代表：\n" + intro).proposal_title == "关于加快老旧小区改造的建议"
    quoted = "根据《规划法》，你们提出的《关于加快老旧小区改造的建议》收悉。"
    assert parse_letter("王五代表：\n" + quoted).proposal_title == "关于加快老旧小区改造的建议"


@pytest.mark.parametrize(
    ("intro", "title"),
    [
        ("您提出的《关于加强垃圾分类的建议》收悉。", "关于加强垃圾分类的建议"),
        ("您提出的“关于加强垃圾分类的提案”收悉。", "关于加强垃圾分类的提案"),
        ("您提出的关于加强垃圾分类的建议提案收悉。", "关于加强垃圾分类的建议"),
        ("现将您提出的关于加强垃圾分类的提案办理情况答复如下：", "关于加强垃圾分类的提案"),
    ],
)
def test_proposal_title_quoted_or_unquoted(intro: str, title: str) -> None:
    """The cited title comes from 《》, “” or the unquoted 关于… span."""
    assert parse_letter("张三委员：\n" + intro + "\n已完成。").proposal_title == title


def test_kind_is_not_taken_from_the_salutation() -> None:
    """A CPPCC member addressed as 代表 still gets a proposal."""
    text = (
        "李四代表：\n您在市政协会议上提出的《关于加强校园安全的提案》收悉，现答复如下：\n已完成。"
    )
    assert parse_letter(text).kind == "proposal"


def test_kind_suggestion_and_other() -> None:
    """人大/代表建议 make a suggestion; a letter with no institution words stays other."""
    suggestion = "关于市十五届人大五次会议第3号建议的答复\n王五代表：\n您提出的建议收悉。"
    assert parse_letter(suggestion).kind == "suggestion"
    assert parse_letter("王五：\n您好！您的来信收悉。\n已办理。").kind == "other"
