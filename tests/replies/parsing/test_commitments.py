"""replies.parsing.commitments: each sentence's modality (done, ongoing, planned), the
section's suggested status, deadlines and quantitative targets.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from replies.parsing import parse_letter
from tests.replies.parsing.letters import invented_letter, sample_letter


def test_seed_sections_topics_and_targets() -> None:
    """The seed has five headed sections tagged by topic; section 4 carries four targets."""
    letter = sample_letter("001.txt")
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
    letter = sample_letter("001.txt")
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


def test_targets_and_deadlines() -> None:
    """Quantities in planned sentences become targets with the sentence's deadline."""
    letter = parse_letter(
        invented_letter(
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
        invented_letter(
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
    letter = parse_letter(invented_letter("一、关于改造", sentence, "二、关于其他", "已完成。"))
    assert letter.sections[0].commitments[0].modality == "planned"
    assert letter.sections[0].due_on == deadline


def test_past_tense_jiang_is_not_a_promise() -> None:
    """'已将…纳入' reports; '现将…答复如下' is performative; '将予以' promises."""
    letter = parse_letter(
        invented_letter(
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
