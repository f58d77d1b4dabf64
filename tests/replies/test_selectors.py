"""replies.selectors: the dashboard's roll-up arithmetic."""

import datetime

import pytest
from django.urls import reverse

from replies.models import CommitmentStatus
from replies.services import progress, rating
from tests import factories

pytestmark = pytest.mark.django_db


def test_rollup_arithmetic_on_dashboard(client, world):
    own = world["own"]
    second = factories.CommitmentFactory(reply=own["reply"], owner=own["department"], number=9)
    progress.post_update(commitment=second, status=CommitmentStatus.FULFILLED)  # no targets → 100
    own["target"].achieved = 10  # 10 of 20 → 50
    own["target"].save()
    progress.refresh_commitment(commitment=own["item"])
    proposal = own["proposal"]
    proposal.reply_due = datetime.date(2021, 7, 31)
    proposal.save()
    rating.rate_reply(reply=own["reply"], satisfaction="basically")
    response = client.get(reverse("portal:dashboard"), {"department": own["department"].pk})
    row = next(r for r in response.context["by_department"] if r["key"] == own["department"].pk)
    assert row["commitments"] == 2
    assert row["progress"] == 75
    assert row["on_time_rate"] == 100.0
    assert row["satisfaction_rate"] == 100.0
    assert row["statuses"]["fulfilled"] == 1
