"""replies.services.notifications: the progress e-mail members opt in to."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from proposals import services as proposal_services
from replies.services import progress
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_batch_of_updates_mails_each_opted_in_proposer_once_per_proposal(
    world, django_capture_on_commit_callbacks
):
    """post_updates (a department's batch report): one message per proposal to each
    proposer who asked, naming every commitment updated; nobody who did not ask, and
    nothing when the batch is refused."""
    member = world["users"]["member"]
    assert proposal_services.set_update_notifications(user=member, enabled=True)
    reply = world["own"]["reply"]
    second = factories.CommitmentFactory(reply=reply, number=2, heading="关于人才引进")
    quiet = factories.ProposerFactory(name="李明", email="liming@example.com")
    world["own"]["proposal"].proposers.add(quiet)  # did not opt in
    day = datetime.date(2025, 3, 1)
    batch = [
        progress.ProgressUpdate(
            commitment_id=item.pk, status="in_progress", date=day, note=f"第{n}项已推进"
        )
        for n, item in enumerate((world["own"]["item"], second, world["other"]["item"]), 1)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        progress.post_updates(batch)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wangkun@example.com"]
    assert "第1项已推进" in message.body and "第2项已推进" in message.body
    assert "第3项已推进" not in message.body  # another proposal's commitment
    refused = [progress.ProgressUpdate(commitment_id=second.pk, status="bogus", date=day)]
    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        progress.post_updates(refused)
    assert len(mail.outbox) == 1
