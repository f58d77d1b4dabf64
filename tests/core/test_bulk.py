"""core.bulk.update_rows: the given fields of many rows in one write, as in memory."""

from decimal import Decimal

import pytest

from core.bulk import update_rows
from replies.models import Target
from tests import factories

pytestmark = pytest.mark.django_db


def test_update_rows_writes_the_fields_named_and_nothing_else():
    targets = [factories.TargetFactory(quantity=Decimal(10), text=f"指标{i}") for i in range(3)]
    targets[0].achieved = Decimal("2.5")
    targets[1].achieved = None
    targets[2].achieved = Decimal(12)
    for target in targets:
        target.text = "不写入"
    update_rows(targets, ["achieved"])
    stored = {target.pk: target for target in Target.objects.all()}
    assert [stored[t.pk].achieved for t in targets] == [Decimal("2.5"), None, Decimal(12)]
    assert [stored[t.pk].text for t in targets] == ["指标0", "指标1", "指标2"]
    update_rows([], ["achieved"])  # nothing to write
