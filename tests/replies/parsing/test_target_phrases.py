"""replies.parsing.targets: an enumeration's later items name what they count, and a
stored target reads back as a phrase and an amount written as people write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from replies.parsing.targets import plain_number, target_phrase
from tests.replies.parsing.letters import sample_letter


def test_the_seed_targets_are_whole_phrases() -> None:
    """省级20家 names what it counts: 新增省级科技企业孵化器20家."""
    letter = sample_letter("001.txt")
    texts = [t.text for t in letter.sections[3].targets]
    assert texts[:2] == ["新增国家级科技企业孵化器3家", "新增省级科技企业孵化器20家"]


@pytest.mark.parametrize(
    "text, quantity, unit, expected",
    [
        ("新增国家级科技企业孵化器3家", "3.00", "家", ("新增国家级科技企业孵化器", "3家")),
        ("新增省级科技企业孵化器20家", "20.00", "家", ("新增省级科技企业孵化器", "20家")),
        ("全市孵化面积达到260万平方米以上", "260", "万平方米", ("全市孵化面积", "260万平方米以上")),
        (
            "建设30家以上创新与创业相结合、线上与线下相结合、孵化与投资相结合的众创空间",
            "30",
            "家",
            ("建设众创空间", "30家以上"),
        ),
        ("新建城市停车泊位3,000个", "3000", "个", ("新建城市停车泊位", "3,000个")),
        ("新建三所学校", "3", "所", ("新建学校", "三所")),
        ("覆盖率达到95.5%", "95.50", "%", ("覆盖率", "95.5%")),
        ("新增众创空间", "5", "个", ("新增众创空间", "5个")),
    ],
)
def test_target_phrase(text, quantity, unit, expected) -> None:
    assert target_phrase(text, Decimal(quantity), unit) == expected


def test_plain_numbers_never_use_exponents() -> None:
    assert plain_number(Decimal("20.00").normalize()) == "20"
    assert plain_number(Decimal("1.50")) == "1.5"
    assert plain_number(Decimal("260")) == "260"
