"""Promises: what the letter commits to, with deadline, targets and firmness.

The rules are those of the samples' PROMISES.md; every letter below is invented for the
test. The samples themselves are scored with the shared scorer's matching rule.
"""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal

import pytest

from replies.parsing import ParsedLetter, parse_letter, read_letter_file

from .samples import FOLDERS, folder_path, labels, scorer


def _letter(
    *body: str, when: str = "2022年5月10日", signature: str = "某某县住房和城乡建设局"
) -> str:
    """An invented letter around the given body lines."""
    return "\n".join(
        [
            "周平委员：",
            "您提出的《关于改善老旧小区居住环境的提案》收悉，现答复如下：",
            *body,
            "感谢您对我们工作的关心和支持。",
            signature,
            when,
        ]
    )


def _texts(letter: ParsedLetter) -> list[str]:
    return [p.text for p in letter.promises]


def _one(*body: str, **kwargs: str):
    letter = parse_letter(_letter(*body, **kwargs))
    assert len(letter.promises) == 1, _texts(letter)
    return letter.promises[0]


# ---------------------------------------------------------------------------
# The samples, scored as the shared scorer scores them
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("folder", FOLDERS)
def test_promises_on_the_samples_score_f1_090_and_deadlines_090(folder: str) -> None:
    """Each sample folder: promise F1 >= 0.9 and >= 90% of matched deadlines agree."""
    score = scorer("score_promises")
    matched = expected_n = found_n = deadlines_ok = 0
    for entry in labels(folder, "promises.json"):
        text, warnings = read_letter_file(folder_path(folder) / entry["file"])
        assert text is not None, warnings
        found = [p.as_dict() for p in parse_letter(text).promises]
        expected_n += len(entry["promises"])
        found_n += len(found)
        used: set[int] = set()
        for want in entry["promises"]:
            for i, got in enumerate(found):
                if i not in used and score.same_promise(want["text"], got["text"]):
                    used.add(i)
                    matched += 1
                    deadlines_ok += (want["deadline"] or None) == (got["deadline"] or None)
                    break
    precision = matched / found_n if found_n else 1.0
    recall = matched / expected_n if expected_n else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert f1 >= 0.9, (precision, recall)
    assert deadlines_ok >= 0.9 * matched


def test_promise_json_shape() -> None:
    """parse_letter's JSON lists promises as {text, section, deadline, targets, firm}."""
    letter = parse_letter(
        _letter(
            "一、关于屋面防水",
            "下一步，我局将于2022年10月底前完成12栋楼的屋面防水改造。",
            "二、关于路面",
            "路面已修复。",
        )
    )
    data = letter.as_dict()
    json.dumps(data, ensure_ascii=False)
    assert data["promises"] == [
        {
            "text": "下一步，我局将于2022年10月底前完成12栋楼的屋面防水改造。",
            "section": 1,
            "deadline": "2022-10-31",
            "targets": [{"text": "完成12栋楼的屋面防水改造", "quantity": 12, "unit": "栋"}],
            "firm": True,
        }
    ]


# ---------------------------------------------------------------------------
# What is a promise
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "下一步，我局将加快推进管网改造。",
        "今后，我们将加强日常巡查。",
        "我局计划在东区新建停车场一处。",
        "我局拟申报省级改造试点。",
        "力争年底前完成全部外墙保温改造。",
        "该工程预计明年春季开工。",
        "待市里资金下达后，我局将立即组织施工。",
        "如政策调整，我们会第一时间告知您。",
        "街道办事处将组织物业公司清理楼道杂物。",
        "如有需要，我局将派技术人员上门指导。",
        "请您放心，我们会持续跟进此事。",
    ],
)
def test_future_markers_make_a_promise(sentence: str) -> None:
    """将 / 计划 / 拟 / 力争 / 预计 / 待…后 / 我们会 commit to future action, also for
    another government body."""
    promise = _one(sentence)
    assert promise.text == sentence
    assert promise.section is None


@pytest.mark.parametrize(
    "sentence",
    [
        "我局已于去年完成全部楼道照明改造。",  # done
        "目前，我局正在对排水管网进行摸排。",  # progress
        "老旧小区改造需要财政、住建、街道共同发力，也需要居民积极配合。",  # need
        "我局已将该小区纳入改造计划。",  # object marker 将 with 已
        "根据规定，改造资金由市、区两级财政按比例承担。",  # current policy
        "希望您今后继续关心支持我们的工作。",  # courtesy
        "如对答复不满意，请及时与我们联系。",  # courtesy
        "相信街道会妥善处理此事。",  # a belief about someone else
        "可由业主委员会向街道提出申请。",  # someone else's step
        "我局于2021年12月底前完成了雨污分流改造。",  # a past date
    ],
)
def test_what_is_not_a_promise(sentence: str) -> None:
    """Done work, progress, need, object-marker 将, policy, courtesy, others' doing and
    past dates are not promises; the letter then says it holds none."""
    letter = parse_letter(_letter(sentence))
    assert letter.promises == (), _texts(letter)
    assert letter.derived_sections == ()
    assert "本函未见新的承诺事项" in letter.warnings


def test_progress_with_a_future_marker_is_a_promise() -> None:
    """正在… is a promise only when the same sentence also commits to what comes next."""
    letter = parse_letter(
        _letter(
            "目前，我局正在编制改造方案，计划今年8月底前完成。",
            "目前，我局正在编制改造方案。",
        )
    )
    assert _texts(letter) == ["目前，我局正在编制改造方案，计划今年8月底前完成。"]
    assert letter.promises[0].deadline == date(2022, 8, 31)


def test_object_marker_jiang_alone_is_not_a_promise() -> None:
    """将X纳入Y is 把X纳入Y: it needs another marker of the future to be a promise."""
    letter = parse_letter(
        _letter(
            "结合城市更新工作，将小区绿化提升纳入年度工作要点。",
            "我局将把小区绿化提升纳入年度工作要点。",
        )
    )
    assert _texts(letter) == ["我局将把小区绿化提升纳入年度工作要点。"]


def test_list_lead_in_passes_its_commitment_to_the_items() -> None:
    """A lead-in that only announces the list is not a promise; its items (and the further
    sentences inside an item) are, even without 将. A tenseless list is not."""
    letter = parse_letter(
        _letter(
            "下一步，我局将重点做好以下几项工作：一是加快加装电梯审批。简化审批材料。二是加强施工监管。",
            "前期，我局采取了以下措施：一是开展入户调查；二是召开居民议事会。",
        )
    )
    assert _texts(letter) == ["加快加装电梯审批。", "简化审批材料。", "加强施工监管。"]


def test_items_on_their_own_lines_continue_the_list() -> None:
    """(一)(二)… on separate lines inherit the lead-in of the line above them."""
    letter = parse_letter(
        _letter(
            "今后，我们将从以下三个方面推进：",
            "（一）完善设施。增设电动车充电桩。",
            "（二）规范管理。",
            "（三）加强宣传。",
        )
    )
    assert _texts(letter) == ["完善设施。", "增设电动车充电桩。", "规范管理。", "加强宣传。"]


def test_lead_in_with_content_of_its_own_is_a_promise() -> None:
    """'下一步,我们将…' followed by a list is itself a promise, and so are the items."""
    letter = parse_letter(
        _letter("下一步，我们将结合您的建议，持续改善居住环境。一是修缮破损道路。二是补植绿化。")
    )
    assert _texts(letter) == [
        "下一步，我们将结合您的建议，持续改善居住环境。",
        "修缮破损道路。",
        "补植绿化。",
    ]


def test_headings_of_a_future_list_are_promises_label_headings_are_not() -> None:
    """Sections under a lead-in that ends the intro: their headings and sentences are
    promises. 关于… headings and '下一步工作打算' label headings are not, but the sentences
    under '下一步工作打算' are."""
    lead = _letter(
        "我局将认真采纳您的建议，重点抓好以下三项工作：",
        "一、加快屋面维修",
        "对漏水楼栋逐一登记维修。",
        "二、改造小区道路。对破损路面进行修补。",
        "三、增设休闲设施",
        "在小区空地增设健身器材。",
    )
    letter = parse_letter(lead)
    assert [s.heading for s in letter.sections] == ["加快屋面维修", "改造小区道路", "增设休闲设施"]
    assert _texts(letter) == [
        "加快屋面维修",
        "对漏水楼栋逐一登记维修。",
        "改造小区道路。",
        "对破损路面进行修补。",
        "增设休闲设施",
        "在小区空地增设健身器材。",
    ]
    assert [p.section for p in letter.promises] == [1, 1, 2, 2, 3, 3]

    labelled = parse_letter(
        _letter(
            "一、关于“屋面漏水”",
            "我局已完成屋面维修。",
            "二、下一步工作打算",
            "统筹推进小区改造。对外墙进行保温处理。",
        )
    )
    assert _texts(labelled) == ["统筹推进小区改造。", "对外墙进行保温处理。"]
    assert [p.section for p in labelled.promises] == [2, 2]

    bare = parse_letter(
        _letter(
            "一、办理情况",
            "我局已完成屋面维修。",
            "二、下一步工作",
            "（一）改造雨水管网。",
            "（二）补植绿化。",
        )
    )
    assert _texts(bare) == ["改造雨水管网。", "补植绿化。"]


def test_same_time_continuation_and_conditional_request() -> None:
    """'同时,…' after a promise continues it (without its deadline); '请…申请,我局…' commits
    the replier to its own act on the request."""
    letter = parse_letter(
        _letter(
            "今年，我局将完成小区雨污分流改造。同时，对化粪池进行清掏。",
            "请小区业主委员会提出加装电梯申请，我局组织专家进行评估。",
        )
    )
    assert _texts(letter) == [
        "今年，我局将完成小区雨污分流改造。",
        "同时，对化粪池进行清掏。",
        "请小区业主委员会提出加装电梯申请，我局组织专家进行评估。",
    ]
    assert [p.deadline for p in letter.promises] == [date(2022, 12, 31), None, None]


def test_mixed_sentence_takes_deadline_and_targets_from_its_planned_part() -> None:
    """Past figures and past cut-offs in the same sentence are neither targets nor deadlines."""
    promise = _one(
        "截至2021年底，我局已改造老旧小区12个，2022年计划改造老旧小区20个、惠及居民3000户，"
        "目前已开工8个。"
    )
    assert promise.deadline == date(2022, 12, 31)
    assert [(t.quantity, t.unit) for t in promise.targets] == [
        (Decimal(20), "个"),
        (Decimal(3000), "户"),
    ]


# ---------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "deadline"),
    [
        ("我局将于年底前完成改造。", date(2022, 12, 31)),
        ("我局将于今年上半年完成改造。", date(2022, 6, 30)),
        ("我局将于明年上半年完成改造。", date(2023, 6, 30)),
        ("我局将于10月底前完成改造。", date(2022, 10, 31)),
        ("该线路预计今年10月开通。", date(2022, 10, 31)),
        ("我局将于9月完成改造。", date(2022, 9, 30)),
        ("我局力争2023年9月完成改造。", date(2023, 9, 30)),
        ("我局将于2023年3月15日前完成改造。", date(2023, 3, 15)),
        ("我局将在“十四五”期间完成全部改造。", date(2025, 12, 31)),
        ("我局将把该项目列入“十四五”规划，力争2024年6月底前开工。", date(2024, 6, 30)),
        ("我局将在三年内完成全部改造。", date(2025, 5, 10)),
        ("我局计划用三年（含今年）时间完成全部改造。", date(2024, 12, 31)),
        ("我局已将该小区上报为2023年改造项目，将予以改造。", date(2023, 12, 31)),
        ("我局拟申报2023-2025年改造计划。", None),
        ("我局将尽快完成改造。", None),
        ("近期，我局将完成改造。", None),
    ],
)
def test_relative_deadlines_resolve_against_the_letter_date(
    sentence: str, deadline: date | None
) -> None:
    """年底/上半年/N月底/十四五/N年内/用N年(含今年)/project-year lists, against the
    signature date 2022-05-10; the most specific date wins; periods applied for are not
    deadlines; 近期/尽快 give none."""
    assert _one(sentence).deadline == deadline


def test_deadline_year_comes_from_the_text_when_the_letter_is_undated() -> None:
    """Without a signature date, 今年 is the latest year the letter itself names, not the
    year of the page's publication line."""
    text = "\n".join(
        [
            "关于区政协二届一次会议第9号提案的答复",
            "发布时间：2024年1月8日",
            "郑洁委员：",
            "您提出的关于完善路灯设施的提案收悉，现答复如下：",
            "2023年以来，我局已更换路灯200盏。今年我局将再更换路灯300盏。",
        ]
    )
    letter = parse_letter(text)
    assert letter.reply_date is None
    assert [p.deadline for p in letter.promises] == [date(2023, 12, 31)]


# ---------------------------------------------------------------------------
# Targets and firmness
# ---------------------------------------------------------------------------


def test_targets_exclude_places_grades_durations_and_indefinite_articles() -> None:
    """距…处, 3A, 三年 and 一座/一批 are not quantities to reach; counts are."""
    promise = _one(
        "今年我局计划在距小区东门200米处建设一座停车楼，新增停车位300个，"
        "配建一批充电桩，争创4A级物业示范小区，用两年时间完成全部建设。"
    )
    assert [(t.quantity, t.unit) for t in promise.targets] == [(Decimal(300), "个")]


@pytest.mark.parametrize(
    ("sentence", "firm"),
    [
        ("我局将积极协调相关部门，加强宣传引导。", False),
        ("我局将进一步完善长效管理机制。", False),
        ("我局将尽可能地增设停车泊位。", False),
        ("我局将在小区出入口安装道闸。", True),
        ("我局将举办老旧小区改造成果展。", True),
        ("我局将把该小区纳入明年改造计划。", True),
        ("我局将积极争取把该小区纳入改造项目库。", False),
        ("我局将加强管理，年内完成整改。", True),
        ("我局将推进小区改造，改造楼栋15栋。", True),
        ("我局将抓好前期工作，以确保项目及时开工建设。", False),
    ],
)
def test_firm_promises_commit_to_a_checkable_act(sentence: str, firm: bool) -> None:
    """A deadline, a target or a concrete act makes a promise firm; directions of effort,
    hedged acts, acts governed by 争取 and purpose clauses do not."""
    assert _one(sentence).firm is firm


# ---------------------------------------------------------------------------
# Sections' statements come from the same detector
# ---------------------------------------------------------------------------


def test_section_statements_are_the_detector_s_units() -> None:
    """A section's planned statements are exactly its promises; done and ongoing units are
    kept for the status; due_on is the latest promised deadline."""
    letter = parse_letter(
        _letter(
            "一、关于外墙保温",
            "我局已完成3栋楼的外墙保温改造。目前正在对其余楼栋进行设计。"
            "下一步，我局将于2022年9月底前完成其余楼栋改造，年底前完成验收。",
            "二、关于楼道照明",
            "我局已更换全部楼道灯具。",
        )
    )
    first, second = letter.sections
    assert [c.modality for c in first.commitments] == ["done", "ongoing", "planned"]
    planned = [c.text for c in first.commitments if c.modality == "planned"]
    assert planned == [p.text for p in first.promises] == _texts(letter)
    assert first.due_on == date(2022, 9, 30)
    assert first.suggested_status == "in_progress"
    assert second.suggested_status == "fulfilled"
    assert second.promises == ()


# ---------------------------------------------------------------------------
# Letters without numbered sections: derived commitments
# ---------------------------------------------------------------------------


def test_derived_sections_group_promises_by_paragraph() -> None:
    """One derived section per paragraph holding a promise, numbered from 1, with a short
    heading from its first promise, its earliest deadline and its targets."""
    letter = parse_letter(
        _letter(
            "我局已对小区排水管网进行了疏通。",
            "下一步，我局将于今年9月底前新增排水管网2公里，年底前完成雨污分流改造。",
            "感谢街道对此项工作的配合。",
            "同时，我局将在小区内增设垃圾分类投放点6处。",
        )
    )
    assert letter.sections == ()
    derived = letter.derived_sections
    assert [s.number for s in derived] == [1, 2]
    assert all(s.derived for s in derived)
    assert [s.heading for s in derived] == ["新增排水管网2公里", "小区内增设垃圾分类投放点6处"]
    assert all(len(s.heading or "") <= 20 for s in derived)
    assert derived[0].due_on == date(2022, 9, 30)
    assert derived[0].text.startswith("下一步，我局将于今年9月底前")
    assert [(t.quantity, t.unit) for t in derived[1].targets] == [(Decimal(6), "处")]
    assert [len(s.promises) for s in derived] == [1, 1]
    data = letter.as_dict()["derived_sections"]
    assert data[0]["derived"] is True and data[0]["due_on"] == "2022-09-30"
    assert "本函未见新的承诺事项" not in letter.warnings


@pytest.mark.parametrize(
    ("sentence", "heading"),
    [
        ("下一步工作中，我局将积极引导居民开展垃圾分类。", "积极引导居民开展垃圾分类"),
        ("待市里资金下达后，我局将及时组织施工。", "及时组织施工"),
        ("在今后的工作中，我们将进一步加强宣传。", "进一步加强宣传"),
        ("我局计划在小区东门处，建设一座智能停车楼。", "建设一座智能停车楼"),
        ("2023年，继续实施老旧小区改造12个（其中新增5个）。", "继续实施老旧小区改造12个"),
        ("我局将根据居民意见，对小区绿化进行提升改造。", "对小区绿化进行提升改造"),
    ],
)
def test_derived_heading_names_the_action(sentence: str, heading: str) -> None:
    """The heading is the first action of the promise's planned part, without its time,
    subject, condition or setting, and at most 20 characters."""
    letter = parse_letter(_letter(sentence, when="2023年3月1日"))
    assert [s.heading for s in letter.derived_sections] == [heading]


def test_a_letter_of_done_work_or_refusal_has_no_derived_sections() -> None:
    """Nothing promised: no derived sections and a warning a caller can show."""
    letter = parse_letter(
        _letter("您反映的问题已于今年3月解决。", "因该路段不在规划范围内，暂时无法安排改造。")
    )
    assert letter.promises == ()
    assert letter.derived_sections == ()
    assert letter.warnings[-1] == "本函未见新的承诺事项"


# ---------------------------------------------------------------------------
# Linear time
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filler",
    [
        " ",
        "将",
        "，将",
        "已",
        "一是",
        "“",
        "(",
        "计划",
        "待",
        "年",
        "1、",
        "，",
        "要",
        "月底",
        "、3个",
        "安装",
    ],
)
def test_promise_reading_stays_linear(filler: str) -> None:
    """Long runs of the detector's own trigger words stay linear (100 000 characters)."""
    run = filler * (100_000 // len(filler))
    text = _letter(
        "下一步，我局将" + run + "于2022年底前完成。",
        "一是" + run + "。二是加强管理。",
        "今年计划新建" + run + "3个。",
    )
    started = time.perf_counter()
    letter = parse_letter(text)
    assert not any(w.startswith("解析出错") for w in letter.warnings)
    # A quadratic pattern takes minutes here; linear reading takes well under a second.
    assert time.perf_counter() - started < 20
