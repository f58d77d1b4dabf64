"""replies.services.progress: a commitment's status follows its latest update; its
progress follows its targets."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from replies.models import CommitmentStatus, CommitmentUpdate
from replies.services import progress
from tests import factories

pytestmark = pytest.mark.django_db


def test_status_follows_latest_update(commitment):
    progress.post_update(
        commitment=commitment, status=CommitmentStatus.IN_PROGRESS, date=datetime.date(2021, 8, 1)
    )
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.IN_PROGRESS

    progress.post_update(
        commitment=commitment, status=CommitmentStatus.FULFILLED, date=datetime.date(2021, 12, 1)
    )
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.FULFILLED


def test_backdated_update_does_not_override_newer_one(commitment):
    progress.post_update(
        commitment=commitment, status=CommitmentStatus.FULFILLED, date=datetime.date(2021, 12, 1)
    )
    progress.post_update(
        commitment=commitment, status=CommitmentStatus.IN_PROGRESS, date=datetime.date(2021, 9, 1)
    )
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.FULFILLED
    assert commitment.updates.count() == 2


def test_invalid_update_is_refused_and_stores_nothing(commitment):
    with pytest.raises(ValidationError):
        progress.post_update(commitment=commitment, status="overdue")
    assert not CommitmentUpdate.objects.exists()
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.NOT_STARTED


def test_progress_is_mean_of_targets_capped_at_100(commitment):
    factories.TargetFactory(commitment=commitment, quantity=Decimal(20), achieved=Decimal(10))
    factories.TargetFactory(commitment=commitment, quantity=Decimal(3), achieved=Decimal(6))
    progress.refresh_commitment(commitment=commitment)
    commitment.refresh_from_db()
    assert commitment.progress == 75
