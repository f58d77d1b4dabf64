"""replies.services.progress: a commitment's status follows its latest update; its
progress follows its targets."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.versioning import public_version
from replies.models import CommitmentItem, CommitmentStatus, CommitmentUpdate
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


# post_updates: many updates at once, by the rule post_update keeps -------------------------


def _updates(first, second, first_target, second_target):
    return [
        progress.ProgressUpdate(
            commitment_id=first.pk, status="in_progress", date=datetime.date(2021, 8, 1)
        ),
        progress.ProgressUpdate(
            commitment_id=first.pk,
            status="partial",
            date=datetime.date(2021, 12, 1),
            note="部分完成",
            achieved={first_target.pk: Decimal(5)},
        ),
        # Backdated: does not override the newer update.
        progress.ProgressUpdate(
            commitment_id=first.pk, status="in_progress", date=datetime.date(2021, 9, 1)
        ),
        progress.ProgressUpdate(
            commitment_id=second.pk,
            status="fulfilled",
            date=datetime.date(2022, 3, 1),
            achieved={second_target.pk: Decimal(30)},
        ),
    ]


def test_post_updates_keeps_what_post_update_keeps(world):
    """The same updates, one by one through post_update (and record_progress's achieved
    values) or all at once through post_updates, leave the same statuses and progress."""
    results = []
    for _copy in range(2):
        reply = factories.ReplyFactory()
        first = factories.CommitmentFactory(reply=reply, number=1)
        second = factories.CommitmentFactory(reply=reply, number=2)
        first_target = factories.TargetFactory(commitment=first, quantity=Decimal(20))
        second_target = factories.TargetFactory(commitment=second, quantity=Decimal(20))
        results.append((first, second, _updates(first, second, first_target, second_target)))
    (a1, a2, one_by_one), (b1, b2, together) = results
    for update in one_by_one:
        commitment = CommitmentItem.objects.get(pk=update.commitment_id)
        progress.record_progress(
            commitment=commitment,
            expected_version=commitment.version,
            status=update.status,
            date=update.date,
            note=update.note,
            achieved=dict(update.achieved),
        )
    rows = progress.post_updates(together)
    assert len(rows) == 4 and all(row.pk for row in rows)
    for single, batch in ((a1, b1), (a2, b2)):
        single.refresh_from_db()
        batch.refresh_from_db()
        assert (batch.status, batch.progress) == (single.status, single.progress)
    assert (b1.status, b1.progress) == ("partial", 25)
    assert (b2.status, b2.progress) == ("fulfilled", 100)
    assert b1.updates.count() == 3
    # Each changed commitment's history records its new state, as a save would.
    assert b1.history.first().status == "partial"


def test_post_updates_bumps_the_public_version_once_and_only_for_public_work(world):
    draft = factories.ReplyFactory(published_at=None)
    hidden = factories.CommitmentFactory(reply=draft)
    before = public_version()
    progress.post_updates(
        [progress.ProgressUpdate(hidden.pk, "in_progress", datetime.date(2021, 8, 1))]
    )
    assert public_version() == before
    public = [world["own"]["item"], world["other"]["item"]]
    progress.post_updates(
        [
            progress.ProgressUpdate(item.pk, "in_progress", datetime.date(2021, 8, 1))
            for item in public
        ]
    )
    assert public_version()[0] == before[0] + 1


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "overdue"},
        {"evidence_url": "not a link"},
        {"commitment_id": 0},
        {"achieved": "other target"},
        {"achieved": Decimal(-1)},
    ],
)
def test_post_updates_refuses_the_whole_batch(world, bad):
    own, other = world["own"], world["other"]
    fields = {
        "commitment_id": own["item"].pk,
        "status": "fulfilled",
        "date": datetime.date(2021, 8, 1),
    }
    if bad.get("achieved") == "other target":
        fields["achieved"] = {other["target"].pk: Decimal(3)}
    elif "achieved" in bad:
        fields["achieved"] = {own["target"].pk: bad["achieved"]}
    else:
        fields.update(bad)
    good = progress.ProgressUpdate(other["item"].pk, "fulfilled", datetime.date(2021, 8, 1))
    with pytest.raises(ValidationError, match="第2条进展更新未能保存"):
        progress.post_updates([good, progress.ProgressUpdate(**fields)])
    assert not CommitmentUpdate.objects.exists()
    own["target"].refresh_from_db()
    other["item"].refresh_from_db()
    assert own["target"].achieved is None
    assert other["item"].status == CommitmentStatus.NOT_STARTED
