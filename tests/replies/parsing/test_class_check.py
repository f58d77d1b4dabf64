"""replies.parsing.class_check: a reply's class against what its letter says, on letters
written for these tests."""

from replies.parsing import parse_letter
from replies.parsing.class_check import (
    A_ALL_FUTURE,
    EXPECTATIONS,
    FIRM_DATED_PROMISES,
    NOT_PLANNED,
    check_class,
    check_letter,
)

HEAD = (
    "关于市政协十五届三次会议第12号提案的答复\n张明委员：\n"
    "您提出的《关于完善社区养老服务的提案》收悉。经认真研究，现答复如下：\n"
)
TAIL = "\n感谢您对我们工作的关心和支持。\n临沂市测试局\n2024年7月1日\n"

ONLY_PLANS = (
    HEAD + "一、关于建设社区养老服务站\n"
    "下一步，我们将研究制定社区养老服务站建设方案，力争2025年底前新建养老服务站10处。\n"
    "二、关于培训护理人员\n"
    "我们将会同人社部门开展护理人员技能培训，计划明年培训300人次。" + TAIL
)
DONE_AND_PLANS = (
    HEAD + "一、关于建设社区养老服务站\n"
    "今年以来，我局已新建社区养老服务站8处，实现街道全覆盖。下一步，我们将持续完善服务功能。\n"
    "二、关于培训护理人员\n我局已会同人社部门培训护理人员260人次。" + TAIL
)
# The work done is reported before the numbered sections, which only look ahead.
DONE_IN_INTRO = (
    "关于市政协十五届三次会议第13号提案的答复\n张明委员：\n"
    "您提出的《关于完善社区养老服务的提案》收悉。今年我局已建成社区养老服务站8处，"
    "经认真研究，现答复如下：\n"
    "一、关于服务站运营\n下一步，我们将引入专业机构参与运营。" + TAIL
)
FIRM_DATED = (
    HEAD + "一、关于改造老旧管网\n受资金条件所限，该建议暂难全面实施。"
    "我们将于2025年6月底前完成城区老旧管网改造一期工程，改造管网12公里。" + TAIL
)
VAGUE = (
    HEAD
    + "一、关于改造老旧管网\n受资金条件所限，该建议暂难实施，我们将在条件成熟时统筹研究。"
    + TAIL
)


def test_a_letter_of_future_promises_only_is_flagged_with_them():
    result = check_letter("A", parse_letter(ONLY_PLANS))
    assert result.flagged and result.reason == A_ALL_FUTURE
    assert len(result.statements) == 2
    assert "力争2025年底前新建养老服务站10处" in result.statements[0]
    assert result.statements[0].endswith("（期限：2025-12-31）")
    assert "均为今后的打算" in result.message


def test_a_letter_that_reports_done_work_agrees():
    assert not check_letter("A", parse_letter(DONE_AND_PLANS)).flagged


def test_done_work_outside_the_sections_counts():
    """The letter as a whole is read, its intro included."""
    assert not check_letter("A", parse_letter(DONE_IN_INTRO)).flagged


def test_c_or_d_letter_with_a_firm_dated_promise_is_flagged():
    for classification in ("C", "D"):
        result = check_letter(classification, parse_letter(FIRM_DATED))
        assert result.reason == FIRM_DATED_PROMISES, classification
        assert result.statements and "2025年6月底前" in result.statements[0]


def test_c_letter_promising_only_to_study_agrees():
    assert not check_letter("C", parse_letter(VAGUE)).flagged


def test_b_and_no_class_are_never_flagged():
    for letter in (ONLY_PLANS, FIRM_DATED, DONE_AND_PLANS):
        parsed = parse_letter(letter)
        assert not check_letter("B", parsed).flagged
        assert not check_letter("", parsed).flagged
        assert not check_letter(None, parsed).flagged


def test_rule_reads_stored_sections_and_takes_other_class_keys():
    """The dicts CommitmentItem keeps work as they are; a place with other class keys maps
    them to what each expects."""
    sections = [
        (
            [{"text": "我们将在年底前完成验收。", "modality": "planned", "deadline": "2024-12-31"}],
            [{"text": "我们将在年底前完成验收。", "deadline": "2024-12-31", "firm": True}],
        )
    ]
    assert check_class("A", sections).reason == A_ALL_FUTURE
    assert check_class("C", sections).reason == FIRM_DATED_PROMISES
    assert not check_class("丙", sections).flagged
    custom = {**EXPECTATIONS, "丙": NOT_PLANNED}
    assert check_class("丙", sections, expectations=custom).reason == FIRM_DATED_PROMISES
    # Unfirm or undated promises do not contradict C.
    soft = [([], [{"text": "适时研究。", "deadline": None, "firm": False}])]
    assert not check_class("C", soft).flagged
    # An A with nothing classifiable at all is not flagged either: nothing contradicts it.
    assert not check_class("A", [([], [])]).flagged
