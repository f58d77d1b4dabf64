"""Point-by-point coverage: splitting a proposal's text into its numbered suggestions and
matching them to reply sections. Every proposal and reply text here was written for these
tests: the suggestions paraphrase the sections that answer them, and some are left out."""

import pytest

from replies.parsing import parse_letter
from replies.parsing.coverage import (
    ReplyPart,
    cover,
    match,
    parts_of_sections,
    split_suggestions,
)

WASTE_PROPOSAL = """案由：我市生活垃圾分类推进较慢，居民参与度不高，前端分类和末端处理脱节。

建议：
1. 在居民小区增设分类投放点，改善投放环境，老旧小区尤其要补齐设施短板。
2. 对分类后的垃圾实行专车收集和运输，防止前端分好类、后端又混在一起运走。
3. 对分类做得好的居民给予积分奖励，积分可以兑换米面油等生活用品。
4. 通过学校课堂和社区志愿服务普及分类知识，让孩子带动家长。
5. 加快建设厨余垃圾处理设施，提高末端处理能力。
"""

WASTE_REPLY = (
    ReplyPart(
        key=1,
        marker="一、",
        heading="关于完善投放设施",
        text="我们已在全市居民小区设置分类投放点1200个，明年将对老旧小区的投放点进行升级改造，"
        "增设洗手池和照明。",
    ),
    ReplyPart(
        key=2,
        marker="二、",
        heading="关于收运体系",
        text="环卫部门已配备专用运输车辆，实行分类收集、分类运输，严禁混装混运。",
    ),
    ReplyPart(
        key=3,
        marker="三、",
        heading="关于宣传教育",
        text="我们把垃圾分类知识编入中小学课堂教学，组织志愿者入户宣传，开展小手拉大手活动。",
    ),
    ReplyPart(
        key=4,
        marker="四、",
        heading="关于末端处理",
        text="厨余垃圾处理厂一期已建成投用，日处理能力300吨；二期计划明年开工。",
        promises=("二期计划明年开工",),
    ),
)


def test_numbered_suggestions_after_the_cue_are_split_and_the_cause_kept():
    parsed = split_suggestions(WASTE_PROPOSAL)
    assert [s.number for s in parsed.suggestions] == [1, 2, 3, 4, 5]
    assert parsed.suggestions[0].marker == "1."
    assert parsed.suggestions[2].heading.startswith("对分类做得好的居民给予积分奖励")
    assert parsed.cause.startswith("案由：我市生活垃圾分类")
    assert "建议" not in parsed.cause.splitlines()[-1]


def test_the_omitted_suggestion_and_only_it_is_unanswered():
    """Paraphrased suggestions find their sections; the one the reply skips is flagged."""
    result = cover(WASTE_PROPOSAL, WASTE_REPLY)
    assert [s.number for s in result.unanswered] == [3]
    answered = {row.suggestion.number: [a.part.key for a in row.answers] for row in result.rows}
    assert answered[1][0] == 1
    assert answered[2][0] == 2
    assert answered[4][0] == 3
    assert answered[5][0] == 4
    # The promise of the section that answers 5 is carried along with it.
    row5 = result.rows[4]
    assert row5.answers[0].how == "similar"


def test_one_section_may_answer_two_suggestions():
    """A department that answers two points in one section has answered both."""
    text = "建议：\n1. 在公园增设儿童游乐设施。\n2. 在公园周边增加公共厕所。\n3. 延长图书馆开放时间。\n"
    parts = [
        ReplyPart(
            key="park",
            marker="一、",
            heading="关于公园配套",
            text="今年我们在三处公园新建儿童游乐设施，并在公园周边新建公共厕所6座。",
        ),
        ReplyPart(key="road", marker="二、", heading="关于道路", text="主干道已完成修补。"),
    ]
    rows = match(split_suggestions(text).suggestions, parts)
    assert [[a.part.key for a in row.answers] for row in rows] == [["park"], ["park"], []]


def test_a_quoted_heading_answers_the_suggestion_it_quotes():
    text = (
        "建议：\n一、设立青年人才公寓。为来我市工作的高校毕业生提供过渡住房。\n二、放宽落户条件。\n"
    )
    parts = [
        ReplyPart(
            key="a",
            marker="一、",
            heading="关于“设立青年人才公寓”的建议",
            text="已筹集房源500套。",
        ),
        ReplyPart(key="b", marker="二、", heading="关于户籍", text="户籍制度改革另有安排。"),
    ]
    rows = match(split_suggestions(text).suggestions, parts)
    assert rows[0].answers[0].part.key == "a"
    assert rows[0].answers[0].how == "quoted"
    assert not rows[1].answered


PARKING_PROPOSAL = """关于缓解老城区停车难的提案

一、存在的问题
老城区道路窄、车位少，夜间占道停车普遍，(一)号文件提到的措施落实不够。

二、几点建议
（一）利用边角空地和待建土地建设临时停车场，缓解居民夜间停车压力。
（二）推动机关和企事业单位的内部停车位在夜间和节假日向周边居民开放。
（三）在主要商圈推广智慧停车系统，实时发布空余车位信息。
（四）对新建住宅严格执行配建停车位标准，不得挪作他用。
"""

PARKING_REPLY_LETTER = """关于市政协第7号提案的答复

王某某委员：

您提出的《关于缓解老城区停车难的提案》收悉。现答复如下：

一、关于挖掘停车资源

我们梳理了老城区的边角地块和暂未开发的土地，今年已建成临时停车场14处，新增车位2100个。

二、关于共享停车

我们已推动43家机关单位的内部停车场在夜间和节假日对周边居民开放，下一步将扩大到国有企业。

感谢您的关心。

示例市住房和城乡建设局
2024年6月1日
"""


def test_sub_items_under_a_suggestions_heading_are_the_suggestions():
    """（一）… under 二、几点建议 are the suggestions, not the outer 一、二、 headings."""
    parsed = split_suggestions(PARKING_PROPOSAL)
    assert [s.marker for s in parsed.suggestions] == ["（一）", "（二）", "（三）", "（四）"]
    assert "存在的问题" in parsed.cause


def test_two_omissions_against_a_parsed_letter():
    """The matcher takes the letter parser's sections; both skipped suggestions are
    flagged, nothing else."""
    letter = parse_letter(PARKING_REPLY_LETTER)
    result = cover(PARKING_PROPOSAL, parts_of_sections(letter.sections))
    assert [s.number for s in result.unanswered] == [3, 4]


def test_the_last_suggestion_ends_before_the_contact_and_closing_lines():
    text = (
        "建议：\n1. 增加托位。\n2. 培训保育员。\n\n以上建议妥否，请审议。\n"
        "联系人：周某，电话0539-1234567\n"
    )
    assert split_suggestions(text).suggestions[-1].text == "培训保育员。"
    text = "建议：\n1. 增加托位。\n2. 培训保育员。\n\n恳请有关部门研究采纳。\n"
    assert split_suggestions(text).suggestions[-1].text == "培训保育员。"


def test_a_title_ending_in_jianyi_is_not_where_the_suggestions_begin():
    text = (
        "关于托育服务的建议\n\n一、现状\n供给不足。\n二、原因\n投入偏少。\n"
        "三、建议\n（一）增加托位。\n（二）培训保育员。\n"
    )
    parsed = split_suggestions(text)
    assert [s.text for s in parsed.suggestions] == ["增加托位。", "培训保育员。"]


@pytest.mark.parametrize(
    ("text", "markers"),
    [
        (
            "为此建议：一是设立专项资金；二是简化审批流程；三是加强督查考核。",
            ["一是", "二是", "三是"],
        ),
        ("建议一：开通夜间公交。\n建议二：增加定制公交线路。\n", ["建议一：", "建议二："]),
        ("建议如下：\n第一，修订管理办法。\n第二，开展专项检查。\n", ["第一，", "第二，"]),
        ("建议：\n1、成立工作专班\n2、明确时间表\n3、定期通报进展\n", ["1、", "2、", "3、"]),
        ("具体建议：\n(1)增加投入；\n(2)培养队伍。\n", ["(1)", "(2)"]),
    ],
)
def test_marker_families(text, markers):
    assert [s.marker for s in split_suggestions(text).suggestions] == markers


def test_a_decimal_or_a_later_number_is_not_an_item():
    """ "2.5亿元" is no item 2, and a list must start at 1."""
    text = "建议：\n1.安排资金2.5亿元用于改造。\n2.建立考核机制。\n"
    assert [s.text for s in split_suggestions(text).suggestions] == [
        "安排资金2.5亿元用于改造。",
        "建立考核机制。",
    ]
    assert split_suggestions("近年来投入3.建设").suggestions == ()


def test_a_text_with_no_numbered_suggestions_has_none():
    parsed = split_suggestions("建议加快老旧小区改造，增加养老设施。")
    assert parsed.suggestions == ()
    assert parsed.cause == "建议加快老旧小区改造，增加养老设施。"
    assert cover("", []).rows == ()


def test_no_reply_parts_leaves_every_suggestion_unanswered():
    result = cover(WASTE_PROPOSAL, [])
    assert [s.number for s in result.unanswered] == [1, 2, 3, 4, 5]
