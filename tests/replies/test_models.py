"""The replies' invariants are enforced by the database itself, by name; overdue is derived
and drafts are not public."""

import datetime
from decimal import Decimal

import pytest

from replies.models import CommitmentItem, CommitmentStatus, Reply, Target
from replies.selectors import public_proposals
from tests import factories
from tests.helpers import assert_refused_by, assert_violates

pytestmark = pytest.mark.django_db


def test_commitment_number_unique_per_reply(commitment):
    assert_violates(
        CommitmentItem(
            reply=commitment.reply, number=commitment.number, text="重复", owner=commitment.owner
        ),
        "uniq_commitment_number_per_reply",
    )


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-3")])
def test_target_quantity_must_be_positive(commitment, quantity):
    assert_violates(
        Target(commitment=commitment, text="新增孵化器", quantity=quantity),
        "target_quantity_positive",
    )


def test_progress_is_a_percentage(commitment):
    assert_refused_by(
        CommitmentItem,
        "commitment_progress_0_100",
        lambda: CommitmentItem.objects.filter(pk=commitment.pk).update(progress=101),
    )


def test_reply_classification_outside_choices_is_rejected(reply):
    assert_refused_by(
        Reply,
        "reply_classification_valid",
        lambda: Reply.objects.filter(pk=reply.pk).update(classification="E"),
    )


def test_commitment_status_outside_choices_is_rejected(commitment):
    assert_refused_by(
        CommitmentItem,
        "commitment_status_valid",
        lambda: CommitmentItem.objects.filter(pk=commitment.pk).update(status="overdue"),
    )


def test_overdue_is_derived_from_due_date_and_status(reply):
    today = datetime.date(2022, 1, 1)
    late = factories.CommitmentFactory(reply=reply, due_on=datetime.date(2021, 12, 31))
    factories.CommitmentFactory(
        reply=reply, due_on=datetime.date(2021, 12, 31), status=CommitmentStatus.FULFILLED
    )
    factories.CommitmentFactory(reply=reply, due_on=datetime.date(2022, 6, 30))
    assert list(CommitmentItem.objects.overdue(today)) == [late]
    assert late.is_overdue(today)


def test_drafts_are_not_public(reply):
    draft = factories.ReplyFactory(published_at=None)
    assert list(Reply.objects.published()) == [reply]
    assert list(public_proposals()) == [reply.proposal]
    assert draft.proposal not in public_proposals()
