"""replies.parsing.letter: parse_letter cuts a letter into consecutive parts (header,
salutation, intro, numbered sections, closing); every sample letter parses to its
hand-checked fields; long and odd input stays linear.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replies.parsing import parse_letter
from tests.replies.parsing.letters import (
    assert_clean,
    expected_entries,
    invented_letter,
    no_ws,
    sample_letter,
)

# ---------------------------------------------------------------------------
# Every sample letter parses to its hand-checked fields
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("expected", expected_entries())
def test_sample_letter_matches_expected_fields(expected: dict) -> None:
    """Each sample parses to the session, number, kind, title, people, dates and sections
    recorded in expected.json."""
    letter = sample_letter(expected["file"])
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


def test_seed_chrome_is_removed_and_publication_date_kept_apart() -> None:
    """Navigation, counters and footer leave the body; the web date is not the reply date."""
    letter = sample_letter("001.txt")
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
# The parts of a letter
# ---------------------------------------------------------------------------


def test_signature_variants_and_trailing_contacts() -> None:
    """Agency and date on one line, and contacts or 抄送 after the date, stay in the closing."""
    letter = parse_letter(
        invented_letter("一、关于甲", "已完成。", "二、关于乙", "已完成。", signature="", when="")
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


def test_full_width_and_half_width_punctuation_read_alike() -> None:
    """The same letter with ，：（） or ,:() gives the same fields; originals are kept."""
    full = "关于市政协十五届五次会议第９号提案的答复\n类别：Ｂ\n" + invented_letter(
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


def test_empty_and_chrome_only_input() -> None:
    """Nothing to read gives an empty letter with a warning, not an error."""
    for text in ("", "   \n\n", "无障碍浏览\n上一条：x\n关闭窗口"):
        letter = parse_letter(text)
        assert letter.sections == () and letter.warnings


# ---------------------------------------------------------------------------
# Numbered sections
# ---------------------------------------------------------------------------


def test_sections_with_year_after_arabic_marker() -> None:
    """'1.2017年' is item 1 followed by a year, not the decimal 1.2017."""
    letter = parse_letter(
        invented_letter("1.2017年，上级下发了文件。", "2.我局已经注意到这一问题。")
    )
    assert [(s.marker, s.text[:5]) for s in letter.sections] == [
        ("1.", "2017年"),
        ("2.", "我局已经注"),
    ]


def test_merged_marker_counts_as_one_section() -> None:
    """'第四、第五:' is one section numbered 4, and the list goes on consistently."""
    lines = ["第一：已完成甲。", "第二：已完成乙。", "第三：已完成丙。", "第四、第五：已完成丁。"]
    letter = parse_letter(invented_letter(*lines))
    assert [(s.number, s.marker) for s in letter.sections] == [
        (1, "第一："),
        (2, "第二："),
        (3, "第三："),
        (4, "第四、第五："),
    ]


def test_lone_yishi_line_and_inline_enumeration_are_not_sections() -> None:
    """A single '一是' line, or 一是…二是… inside a paragraph, is not a section list."""
    lone = parse_letter(invented_letter("一是加强巡逻，已增派警力。", "我局将继续关注此事。"))
    assert lone.sections == ()
    inline = parse_letter(invented_letter("我局高度重视：一是加强巡逻；二是增设信号灯。"))
    assert inline.sections == ()


def test_sequence_must_be_consecutive_and_sub_items_are_not_sections() -> None:
    """(一) sub-items stay inside their section; a list starting at 2 is not a list."""
    letter = parse_letter(
        invented_letter(
            "一、关于道路",
            "（一）已完成修补。",
            "（二）已完成划线。",
            "二、关于路灯",
            "已完成安装。",
        )
    )
    assert [s.heading for s in letter.sections] == ["关于道路", "关于路灯"]
    assert "（二）已完成划线。" in letter.sections[0].text
    assert parse_letter(invented_letter("2、已完成甲。", "3、已完成乙。")).sections == ()


def test_date_like_lines_are_not_sections() -> None:
    """Lines that are dates or decimals do not start numbered items."""
    letter = parse_letter(invented_letter("1.5亿元已拨付到位。", "2.3万人受益。"))
    assert letter.sections == ()


def test_heading_only_for_title_like_first_lines() -> None:
    """A short title line or phrase is a heading; running prose is not."""
    letter = parse_letter(
        invented_letter(
            "一、关于“加大投入”",
            "我局已经拨付资金100万元。",
            "二、加强宣传引导。我局已组织宣传活动5场。",
            "三、我局已在学校门口设置减速带，并安排专人值守。",
        )
    )
    assert [s.heading for s in letter.sections] == ["关于“加大投入”", "加强宣传引导", None]
    assert letter.sections[0].text.startswith("关于“加大投入”\n")


# ---------------------------------------------------------------------------
# Properties: large input, and every character lands in some part
# ---------------------------------------------------------------------------


def test_one_megabyte_input_finishes_quickly() -> None:
    """Pasted junk of 1 MB is parsed (speed is measured by `make bench-parse`, not here)."""
    block = (
        "一、关于“加大投入”\n下一步，我们将力争新增孵化器3家、省级20家。第〔2021〕年届次会议，" * 20
    )
    text = (block + "\n" + "1.2017年，" * 50 + "\n") * (1_000_000 // (len(block) + 452))
    text = text[:1_000_000]
    assert_clean(parse_letter(text))
    one_line = "第十五届" + "年" * 500_000 + "一二三四五六七八九十" * 50_000
    assert_clean(parse_letter(one_line))


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
    assert_clean(parse_letter("\n".join(parts)))
    assert_clean(parse_letter(run.join(parts)))


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
    assert_clean(letter)
    assert letter.title == case.title
    rebuilt = (letter.title or "") + (letter.salutation or "") + letter.intro
    rebuilt += "".join(s.marker + s.text for s in letter.sections) + letter.closing
    assert no_ws(rebuilt) == no_ws(letter.body) == no_ws(case.text)
    assert letter.reply_date == date(2021, 7, 9)
    assert letter.agency == "某某县交通运输局"
    assert tuple(s.marker for s in letter.sections) == case.markers
    assert [s.number for s in letter.sections] == list(range(1, len(case.markers) + 1))
    for section, heading in zip(letter.sections, case.headings, strict=True):
        if heading is not None:
            assert section.heading == heading
