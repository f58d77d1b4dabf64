"""Tests for replies.parsing, the pure-Python reply-letter parser.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replies.parsing import (
    DEFAULT_TOPICS,
    ParsedLetter,
    html_to_text,
    parse_letter,
    parse_paths,
    read_letter_bytes,
    read_letter_file,
)

SAMPLES_DIR = Path(
    os.environ.get("SAMPLES_DIR") or Path(__file__).resolve().parents[2] / "shared" / "samples"
)
_EXPECTED_FILE = SAMPLES_DIR / "expected.json"
_SAMPLES_MISSING = f"sample letters not found at {SAMPLES_DIR} (set SAMPLES_DIR)"


def _expected_entries() -> list:
    if not _EXPECTED_FILE.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=_SAMPLES_MISSING), id="absent")]
    entries = json.loads(_EXPECTED_FILE.read_text(encoding="utf-8"))
    return [pytest.param(entry, id=entry["file"]) for entry in entries]


def _sample(name: str) -> ParsedLetter:
    path = SAMPLES_DIR / "letters" / name
    if not path.is_file():
        pytest.skip(_SAMPLES_MISSING)
    text, warnings = read_letter_file(path)
    assert text is not None, warnings
    return parse_letter(text)


def _no_ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _letter(*body: str, signature: str = "某某县交通运输局", when: str = "2021年7月9日") -> str:
    """A minimal invented letter around the given body lines."""
    return "\n".join(
        [
            "张三委员：",
            "您提出的《关于改善城区交通的提案》收悉，现答复如下：",
            *body,
            "感谢您对我们工作的关心和支持。",
            signature,
            when,
        ]
    )


# ---------------------------------------------------------------------------
# 1. Every sample letter parses to its hand-checked fields
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("expected", _expected_entries())
def test_sample_letter_matches_expected_fields(expected: dict) -> None:
    """Each sample parses to the session, number, kind, title, people, dates and sections
    recorded in expected.json."""
    letter = _sample(expected["file"])
    assert letter.session == expected["session"]
    assert letter.proposal_number == expected["proposal_number"]
    assert letter.kind == expected["kind"]
    assert letter.proposal_title == expected["title"]
    assert ("、".join(letter.proposers) or None) == expected["proposer"]
    if expected["agency"] is None:
        assert letter.agency is None
    else:
        accepted = [expected["agency"], *expected.get("agency_alternatives", [])]
        assert letter.agency in accepted
    reply_date = letter.reply_date.isoformat() if letter.reply_date else None
    assert reply_date == expected["reply_date"]
    assert letter.doc_number == expected["doc_number"]
    assert letter.classification == expected["classification"]
    if "index_number" in expected:
        assert letter.index_number == expected["index_number"]
    assert len(letter.sections) == len(expected["sections"])
    for section, want in zip(letter.sections, expected["sections"], strict=True):
        assert section.number == want["number"]
        assert section.marker == want["marker"]
        assert section.heading == want["heading"]
        assert section.text.startswith(want["lead"]), (section.text[:40], want["lead"])


# ---------------------------------------------------------------------------
# 2. The seed letter in detail
# ---------------------------------------------------------------------------


def test_seed_sections_topics_and_targets() -> None:
    """The seed has five headed sections tagged by topic; section 4 carries four targets."""
    letter = _sample("001.txt")
    assert [s.topic for s in letter.sections] == [
        "funding",
        "talent",
        "enterprise",
        "incubator",
        "finance",
    ]
    targets = [(t.quantity, t.unit) for t in letter.sections[3].targets]
    assert targets == [
        (Decimal(3), "家"),
        (Decimal(20), "家"),
        (Decimal(260), "万平方米"),
        (Decimal(30), "家"),
    ]
    texts = [t.text for t in letter.sections[3].targets]
    assert "国家级科技企业孵化器3家" in texts[0]
    assert texts[2].startswith("全市孵化面积达到260万平方米")
    assert "众创空间" in texts[3]


def test_seed_commitment_modalities_and_status() -> None:
    """Reported work is done, 正逐步 is ongoing, 下一步/力争 are planned; statuses follow."""
    letter = _sample("001.txt")
    first, second, third, fourth, fifth = letter.sections
    assert {c.modality for c in first.commitments} == {"done", "planned"}
    assert first.commitments[-1].text.startswith("下一步")
    assert first.commitments[-1].modality == "planned"
    third_modalities = [c.modality for c in third.commitments]
    assert third_modalities[0] == "ongoing"  # 今年,我们正逐步探索…
    assert set(third_modalities[1:]) == {"done"}
    assert third.suggested_status == "in_progress"
    assert all(c.modality == "planned" for c in fourth.commitments)
    assert fourth.suggested_status == "not_started"
    assert fourth.due_on == date(2025, 12, 31)  # “十四五”
    assert second.due_on == date(2021, 12, 31)  # 今年,我们将…
    assert fifth.suggested_status == "in_progress"


def test_seed_chrome_is_removed_and_publication_date_kept_apart() -> None:
    """Navigation, counters and footer leave the body; the web date is not the reply date."""
    letter = _sample("001.txt")
    for chrome in (
        "无障碍浏览",
        "上一条",
        "下一条",
        "关闭窗口",
        "点击数",
        "ICP备",
        "公网安备",
        "服务热线",
        "技术支持",
        "作者:",
    ):
        assert chrome not in letter.body
    assert letter.salutation == "王坤委员:"
    assert letter.intro.startswith("您提出的")
    assert letter.closing.startswith("感谢您对我市科技创新工作")
    assert letter.closing.endswith("2021年7月9日")
    assert letter.publish_date == date(2021, 7, 9)
    assert letter.title is not None and letter.title.endswith("答复的函")


# ---------------------------------------------------------------------------
# 3. General rules on small invented letters
# ---------------------------------------------------------------------------


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
    letter = parse_letter(_letter("我局已完成道路改造。", when=written))
    assert letter.reply_date == expected
    assert letter.agency == "某某县交通运输局"


def test_signature_date_beats_web_publication_date() -> None:
    """公开日期 is when the page went up; the letter's own date wins."""
    text = "公开日期：2021-08-30\n" + _letter("我局已完成道路改造。", when="2021年7月9日")
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
    letter = parse_letter(title + "\n" + _letter("我局已完成道路改造。"))
    assert letter.session == session
    assert letter.proposal_number == "12"


def test_session_split_over_two_title_lines() -> None:
    """A title broken after 人民代表大会 still yields the session and number."""
    text = "对某某市第十四届人民代表大会\n第四次会议第275号建议的答复\n" + _letter("已完成。")
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
    letter = parse_letter(f"关于市政协十五届五次会议{line}的答复\n" + _letter("已完成。"))
    assert letter.proposal_number == number


@pytest.mark.parametrize(
    "doc",
    ["某交函〔2023〕34号", "某交函【2023】34号", "某交函[2023]34号", "某交建议字〔2023〕第15号"],
)
def test_doc_number_in_each_bracket_form(doc: str) -> None:
    """〔〕, 【】 and [ ] doc numbers are kept exactly as written."""
    letter = parse_letter("关于第12号提案的复函\n" + doc + "\n" + _letter("已完成。"))
    assert letter.doc_number == doc


def test_doc_number_cited_in_the_body_is_not_the_letters() -> None:
    """A policy document quoted in a section is not this letter's 文号."""
    letter = parse_letter(_letter("一、已出台《若干措施》（某发〔2020〕15号）。", "二、已完成。"))
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
    letter = parse_letter("关于第12号提案的答复\n" + line + "\n" + _letter("已完成。"))
    assert letter.classification == expected


def test_classification_footnote_is_not_a_class() -> None:
    """'注:A类指…' explains the classes; it does not classify this letter."""
    text = _letter("已完成。") + "\n注：A类指所提问题已经解决，B类指正在解决，C类指留作参考。"
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


def test_signature_variants_and_trailing_contacts() -> None:
    """Agency and date on one line, and contacts or 抄送 after the date, stay in the closing."""
    letter = parse_letter(
        _letter("一、关于甲", "已完成。", "二、关于乙", "已完成。", signature="", when="")
        + "\n某某市城市管理局　　2021年6月30日"
        + "\n（联系人：张某，电话：1234567）\n抄送：市政府督查室。"
    )
    assert letter.agency == "某某市城市管理局"
    assert letter.reply_date == date(2021, 6, 30)
    assert letter.closing.endswith("抄送：市政府督查室。")
    assert letter.sections[-1].text == "关于乙\n已完成。"


def test_letter_pasted_as_one_paragraph() -> None:
    """Salutation, body and signature on a single line are still told apart."""
    letter = parse_letter(
        "王坤委员：您提出的“关于加强河道管理的提案”收悉，现答复如下：我局已安排专人负责。"
        "今后我们将定期巡查。感谢您的关心。某某县水利局 2021年8月1日"
    )
    assert letter.proposers == ("王坤",)
    assert letter.proposal_title == "关于加强河道管理的提案"
    assert (letter.agency, letter.reply_date) == ("某某县水利局", date(2021, 8, 1))


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


def test_sections_with_year_after_arabic_marker() -> None:
    """'1.2017年' is item 1 followed by a year, not the decimal 1.2017."""
    letter = parse_letter(_letter("1.2017年，上级下发了文件。", "2.我局已经注意到这一问题。"))
    assert [(s.marker, s.text[:5]) for s in letter.sections] == [
        ("1.", "2017年"),
        ("2.", "我局已经注"),
    ]


def test_merged_marker_counts_as_one_section() -> None:
    """'第四、第五:' is one section numbered 4, and the list goes on consistently."""
    lines = ["第一：已完成甲。", "第二：已完成乙。", "第三：已完成丙。", "第四、第五：已完成丁。"]
    letter = parse_letter(_letter(*lines))
    assert [(s.number, s.marker) for s in letter.sections] == [
        (1, "第一："),
        (2, "第二："),
        (3, "第三："),
        (4, "第四、第五："),
    ]


def test_lone_yishi_line_and_inline_enumeration_are_not_sections() -> None:
    """A single '一是' line, or 一是…二是… inside a paragraph, is not a section list."""
    lone = parse_letter(_letter("一是加强巡逻，已增派警力。", "我局将继续关注此事。"))
    assert lone.sections == ()
    inline = parse_letter(_letter("我局高度重视：一是加强巡逻；二是增设信号灯。"))
    assert inline.sections == ()


def test_sequence_must_be_consecutive_and_sub_items_are_not_sections() -> None:
    """(一) sub-items stay inside their section; a list starting at 2 is not a list."""
    letter = parse_letter(
        _letter(
            "一、关于道路",
            "（一）已完成修补。",
            "（二）已完成划线。",
            "二、关于路灯",
            "已完成安装。",
        )
    )
    assert [s.heading for s in letter.sections] == ["关于道路", "关于路灯"]
    assert "（二）已完成划线。" in letter.sections[0].text
    assert parse_letter(_letter("2、已完成甲。", "3、已完成乙。")).sections == ()


def test_date_like_lines_are_not_sections() -> None:
    """Lines that are dates or decimals do not start numbered items."""
    letter = parse_letter(_letter("1.5亿元已拨付到位。", "2.3万人受益。"))
    assert letter.sections == ()


def test_heading_only_for_title_like_first_lines() -> None:
    """A short title line or phrase is a heading; running prose is not."""
    letter = parse_letter(
        _letter(
            "一、关于“加大投入”",
            "我局已经拨付资金100万元。",
            "二、加强宣传引导。我局已组织宣传活动5场。",
            "三、我局已在学校门口设置减速带，并安排专人值守。",
        )
    )
    assert [s.heading for s in letter.sections] == ["关于“加大投入”", "加强宣传引导", None]
    assert letter.sections[0].text.startswith("关于“加大投入”\n")


def test_targets_and_deadlines() -> None:
    """Quantities in planned sentences become targets with the sentence's deadline."""
    letter = parse_letter(
        _letter(
            "一、关于建设",
            "下一步，我们将力争2022年6月底前新增停车位300个、充电桩50台。",
            "二、关于规划",
            "到2025年，全市绿道总长达到1.5万公里以上。",
            "三、关于管护",
            "年底前完成全部路灯的更换，新增0个岗亭。",
        )
    )
    first, second, third = letter.sections
    assert [(t.quantity, t.unit, t.deadline) for t in first.targets] == [
        (Decimal(300), "个", date(2022, 6, 30)),
        (Decimal(50), "台", date(2022, 6, 30)),
    ]
    assert [(t.quantity, t.unit) for t in second.targets] == [(Decimal("1.5"), "万公里")]
    assert second.due_on == date(2025, 12, 31)
    assert third.targets == ()  # zero is not a target
    assert third.due_on == date(2021, 12, 31)  # 年底前 of the reply's year


def test_targets_in_other_number_forms() -> None:
    """Thousands separators and Chinese numerals after a building verb are quantities."""
    letter = parse_letter(
        _letter(
            "一、关于设施",
            "下一步，我们将新增充电桩1,000个，新建三所学校、两家医院。",
            "二、关于其他",
            "已完成。",
        )
    )
    assert [(t.quantity, t.unit) for t in letter.sections[0].targets] == [
        (Decimal(1000), "个"),
        (Decimal(3), "所"),
        (Decimal(2), "家"),
    ]


@pytest.mark.parametrize(
    ("sentence", "deadline"),
    [
        ("我们将在“十四五”期间完成改造。", date(2025, 12, 31)),
        ("我们将在“十五五”期间完成改造。", date(2030, 12, 31)),
        ("今年我们将完成改造。", date(2021, 12, 31)),
        ("明年我们将完成改造。", date(2022, 12, 31)),
        ("我们计划2023年9月底前完成改造。", date(2023, 9, 30)),
        ("我们将在明年上半年完成改造。", date(2022, 6, 30)),
        ("我们将于2023年上半年完成改造。", date(2023, 6, 30)),
        ("我们将尽快完成改造。", None),
    ],
)
def test_relative_deadlines_resolve_against_the_reply_year(
    sentence: str, deadline: date | None
) -> None:
    """今年/明年/年底前 count from the reply date's year; plan periods end on schedule."""
    letter = parse_letter(_letter("一、关于改造", sentence, "二、关于其他", "已完成。"))
    assert letter.sections[0].commitments[0].modality == "planned"
    assert letter.sections[0].due_on == deadline


def test_past_tense_jiang_is_not_a_promise() -> None:
    """'已将…纳入' reports; '现将…答复如下' is performative; '将予以' promises."""
    letter = parse_letter(
        _letter(
            "一、关于道路",
            "我局已将该路段纳入年度计划。我局已会同交通部门将该路段纳入规划。",
            "二、关于桥梁",
            "该桥将予以加固。",
        )
    )
    assert [c.modality for c in letter.sections[0].commitments] == ["done", "done"]
    assert [c.modality for c in letter.sections[1].commitments] == ["planned"]
    assert letter.sections[0].suggested_status == "fulfilled"
    assert letter.sections[1].suggested_status == "not_started"


def test_custom_topics_replace_the_defaults() -> None:
    """A topics mapping from the database is used instead of DEFAULT_TOPICS."""
    text = _letter("一、关于资金", "已拨付资金。", "二、关于道路", "已修好道路。")
    letter = parse_letter(text, topics={"roads": ("道路",)})
    assert [s.topic for s in letter.sections] == [None, "roads"]
    assert {"funding", "talent", "enterprise", "incubator", "finance"} <= set(DEFAULT_TOPICS)
    assert all(key.isascii() for key in DEFAULT_TOPICS)


def test_as_dict_shape_is_json_ready() -> None:
    """as_dict has exactly the documented keys, in order, with ISO dates and plain numbers."""
    letter = parse_letter(
        _letter("一、关于建设", "下一步，我们将新增停车位300个。", "二、关于规划", "已完成。")
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


def test_full_width_and_half_width_punctuation_read_alike() -> None:
    """The same letter with ，：（） or ,:() gives the same fields; originals are kept."""
    full = "关于市政协十五届五次会议第９号提案的答复\n类别：Ｂ\n" + _letter(
        "一、关于甲", "已完成。", "二、关于乙", "已完成。"
    )
    half = full.replace("：", ":").replace("，", ",").replace("９", "9").replace("Ｂ", "B")
    a, b = parse_letter(full), parse_letter(half)
    assert (
        (a.session, a.proposal_number, a.classification, len(a.sections))
        == (
            b.session,
            b.proposal_number,
            b.classification,
            len(b.sections),
        )
        == ("十五届五次会议", "9", "B", 2)
    )
    assert "：" in a.body and "：" not in b.body


def test_html_table_layout_is_flattened() -> None:
    """Table metadata becomes 'label  value' lines and the letter parses from HTML."""
    html = """<html><head><title>x</title><style>p{color:red}</style></head><body>
    <div class="nav">首页 &gt; 政务公开</div>
    <table><tr><td>索 引 号</td><td>113700/2022-001</td><td>发布机构</td><td>某某县水利局</td></tr>
    <tr><td>成文日期</td><td>2022年5月6日</td><td>文号</td><td>某水函〔2022〕5号</td></tr></table>
    <h1>对县政协十届二次会议第7号提案的答复</h1>
    <p>李雷委员：</p><p>&nbsp;您提出的《关于整治河道的提案》收悉，现答复如下：</p>
    <p>一、关于河道清淤</p><p>今年已清淤12公里。</p>
    <p>二、关于堤防加固</p><p>力争2023年底前加固堤防5公里。</p>
    <script>document.write("x")</script></body></html>"""
    text = html_to_text(html)
    assert "索 引 号  113700/2022-001  发布机构  某某县水利局" in text.splitlines()
    assert "color" not in text and "document" not in text and "首页" not in text
    letter = parse_letter(html)
    assert letter.index_number == "113700/2022-001"
    assert letter.doc_number == "某水函〔2022〕5号"
    assert letter.reply_date == date(2022, 5, 6)  # 成文日期: no signature
    assert letter.agency == "某某县水利局"
    assert [s.heading for s in letter.sections] == ["关于河道清淤", "关于堤防加固"]


def test_read_letter_file_encodings_and_failures(tmp_path: Path) -> None:
    """UTF-8 (with BOM) and GB18030 read; missing and binary files give a Chinese warning."""
    text = _letter("已完成。")
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "gb.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "bin.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "page.html").write_text(
        "<p>张三委员：</p><p>您提出的提案收悉。</p>", encoding="utf-8"
    )
    read, warnings = read_letter_file(tmp_path / "bom.txt")
    assert read == text and warnings == []
    read, warnings = read_letter_file(tmp_path / "gb.txt")
    assert read == text and any("GB18030" in w for w in warnings)
    read, _ = read_letter_file(tmp_path / "page.html")
    assert read == "张三委员：\n您提出的提案收悉。"
    for name in ("missing.txt", "bin.txt"):
        read, warnings = read_letter_file(tmp_path / name)
        assert read is None
        assert warnings and re.search(r"[\u4e00-\u9fff]", warnings[0])
    assert read_letter_file(tmp_path)[0] is None  # a folder


def test_read_letter_bytes_for_uploads() -> None:
    """Uploaded bytes decode like files; the name only helps to spot HTML."""
    html = "<p>张三委员：</p><p>您提出的提案收悉。</p>".encode("gb18030")
    text, warnings = read_letter_bytes(html, "reply.htm")
    assert text == "张三委员：\n您提出的提案收悉。"
    assert warnings == ["文件不是 UTF-8 编码，已按 GB18030 读取"]
    assert read_letter_bytes(b"\x00\x01\x02binary", "x.txt")[0] is None


def test_parse_paths_keeps_order_and_reports_bad_files(tmp_path: Path) -> None:
    """Every path gets a dict with every key; an unreadable file explains itself."""
    good = tmp_path / "good.txt"
    good.write_text(_letter("已完成。"), encoding="utf-8")
    missing = str(tmp_path / "missing.txt")
    results = parse_paths([str(good), missing])
    assert [r["path"] for r in results] == [str(good), missing]
    assert results[0]["reply_date"] == "2021-07-09"
    assert list(results[1]) == list(results[0])
    assert results[1]["sections"] == [] and results[1]["proposers"] == []
    assert results[1]["reply_date"] is None and results[1]["warnings"]
    json.dumps(results, ensure_ascii=False)


def test_empty_and_chrome_only_input() -> None:
    """Nothing to read gives an empty letter with a warning, not an error."""
    for text in ("", "   \n\n", "无障碍浏览\n上一条：x\n关闭窗口"):
        letter = parse_letter(text)
        assert letter.sections == () and letter.warnings


# ---------------------------------------------------------------------------
# 4. Properties
# ---------------------------------------------------------------------------

_FRAGMENTS = [
    "一、",
    "二、",
    "三、",
    "1、",
    "2.",
    "1.2017年",
    "第",
    "届",
    "次会议",
    "〔",
    "〕",
    "【",
    "[",
    "]",
    "年",
    "月",
    "日",
    "号",
    "0",
    "1",
    "2",
    "9",
    "2021",
    "二〇二一",
    "\n",
    "\n\n",
    " ",
    "\u3000",
    "：",
    ":",
    "，",
    "。",
    "；",
    "“",
    "”",
    "《",
    "》",
    "(",
    ")",
    "委员",
    "代表",
    "xxx",
    "提案",
    "建议",
    "收悉",
    "您提出的",
    "关于",
    "下一步",
    "将",
    "已",
    "力争",
    "3家",
    "万平方米",
    "十四五",
    "类别:",
    "A类",
    "注:",
    "一是",
    "第一:",
    "上一条",
    "无障碍浏览",
    "字号:[",
    "大",
    "]",
    "答复如下:",
    "感谢",
    "局",
    "政协",
    "人大",
    "<p>",
    "</p>",
    "<table>",
    "&nbsp;",
]


def _assert_clean(letter: ParsedLetter) -> None:
    assert isinstance(letter, ParsedLetter)
    assert not any(w.startswith("解析出错") for w in letter.warnings), letter.warnings
    json.dumps(letter.as_dict(), ensure_ascii=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    """Any string parses to a ParsedLetter without falling back to the error path."""
    _assert_clean(parse_letter(text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=5), max_size=80).map("".join))
def test_never_raises_on_letter_fragments(text: str) -> None:
    """Inputs built from the parser's own trigger words never break it."""
    _assert_clean(parse_letter(text))


def test_one_megabyte_input_finishes_quickly() -> None:
    """Pasted junk of 1 MB is parsed (speed is measured by `make bench-parse`, not here)."""
    block = (
        "一、关于“加大投入”\n下一步，我们将力争新增孵化器3家、省级20家。第〔2021〕年届次会议，" * 20
    )
    text = (block + "\n" + "1.2017年，" * 50 + "\n") * (1_000_000 // (len(block) + 452))
    text = text[:1_000_000]
    _assert_clean(parse_letter(text))
    one_line = "第十五届" + "年" * 500_000 + "一二三四五六七八九十" * 50_000
    _assert_clean(parse_letter(one_line))


@pytest.mark.parametrize("filler", [" ", "\u3000", "1", "年", "第", "、", "《", "0."])
def test_long_runs_stay_linear(filler: str) -> None:
    """Long runs of one character between trigger words do not make any pattern backtrack
    quadratically (100 000 characters, in every part of a letter)."""
    run = filler * (100_000 // len(filler))
    parts = [
        "关于" + run + "届第5次会议第1号提案的答复",
        "张三委员：",
        "您提出的" + run + "上半年收悉。",
        "一、关于甲" + run + "将于2022年完成1,000个。",
        "二、乙",
        "某某局" + run + "2021年7月9日 09:37",
    ]
    # A quadratic pattern would make this test take minutes instead of a fraction of a second.
    _assert_clean(parse_letter("\n".join(parts)))
    _assert_clean(parse_letter(run.join(parts)))


_CJK = "市县区加强推进建设发展完善提升规划项目政策群众道路学校医院资金环境农村城市社区服务安全管理"
# Prose opens with a word, as a paragraph does; punctuation follows inside it.
_prose = st.tuples(
    st.sampled_from(_CJK), st.text(alphabet=_CJK + "，、“”", min_size=3, max_size=40)
).map(lambda parts: parts[0] + parts[1] + "。")
_paragraph = st.lists(_prose, min_size=1, max_size=4).map("".join)


@dataclass(frozen=True)
class _Generated:
    text: str
    title: str
    markers: tuple[str, ...]  # the numbered items written, in order
    headings: tuple[str | None, ...]  # the heading written for each item (None: none)


@st.composite
def _letter_like(draw: st.DrawFn) -> _Generated:
    """A letter built from title + salutation + intro + numbered sections + signature."""
    title = draw(st.text(alphabet=_CJK, min_size=2, max_size=20)).join(["关于", "的答复"])
    name = draw(st.sampled_from(["王坤", "周平", "赵六", "钱七"]))
    role = draw(st.sampled_from(["委员", "代表"]))
    intro = draw(st.lists(_paragraph, min_size=1, max_size=2))
    style = draw(st.sampled_from(["一、", "1、", "第一：", "一是", None]))
    lines: list[str] = []
    markers: list[str] = []
    headings: list[str | None] = []
    count = draw(st.integers(min_value=0, max_value=5)) if style else 0
    for n in range(1, count + 1):
        cn = "一二三四五"[n - 1]
        marker = {"一、": f"{cn}、", "1、": f"{n}、", "第一：": f"第{cn}：", "一是": f"{cn}是"}[
            style or "一、"
        ]
        heading = draw(st.one_of(st.none(), st.text(alphabet=_CJK, min_size=2, max_size=12)))
        body = draw(st.lists(_paragraph, min_size=1, max_size=3))
        if heading:
            lines.extend([marker + "关于" + heading, *body])
        else:
            lines.extend([marker + body[0], *body[1:]])
        markers.append(marker)
        headings.append("关于" + heading if heading else None)
    closing = ["感谢您对我们工作的关心和支持。", "某某县交通运输局", "2021年7月9日"]
    head = [title, f"{name}{role}：", "您提出的提案收悉，现答复如下：", *intro]
    sep = draw(st.sampled_from(["\n", "\n\n", "\r\n"]))
    if count < 2:  # one numbered line is not a list
        markers, headings = [], []
    return _Generated(sep.join([*head, *lines, *closing]), title, tuple(markers), tuple(headings))


@settings(max_examples=200, deadline=None)
@given(_letter_like())
def test_all_letter_text_lands_in_some_part(case: _Generated) -> None:
    """Title, salutation, intro, section markers and texts, and closing rebuild the body;
    the numbered items written are the sections found."""
    letter = parse_letter(case.text)
    _assert_clean(letter)
    assert letter.title == case.title
    rebuilt = (letter.title or "") + (letter.salutation or "") + letter.intro
    rebuilt += "".join(s.marker + s.text for s in letter.sections) + letter.closing
    assert _no_ws(rebuilt) == _no_ws(letter.body) == _no_ws(case.text)
    assert letter.reply_date == date(2021, 7, 9)
    assert letter.agency == "某某县交通运输局"
    assert tuple(s.marker for s in letter.sections) == case.markers
    assert [s.number for s in letter.sections] == list(range(1, len(case.markers) + 1))
    for section, heading in zip(letter.sections, case.headings, strict=True):
        if heading is not None:
            assert section.heading == heading
