"""Invariants are enforced by the database itself, by name."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from proposals.models import Proposal, Session
from replies.models import CommitmentItem, CommitmentStatus, Reply, Target
from replies.selectors import public_proposals
from tests import factories

pytestmark = pytest.mark.django_db


def assert_violates(constraint: str, create) -> None:
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        create()
    # PostgreSQL names the constraint; SQLite names the columns of a unique one.
    message = str(excinfo.value)
    assert constraint in message or "UNIQUE" in message or "CHECK" in message, message


def test_second_proposal_with_same_number_in_session_is_rejected():
    proposal = factories.ProposalFactory(number="89")
    assert_violates(
        "uniq_proposal_number_per_session",
        lambda: Proposal.objects.create(session=proposal.session, number="89", title="另一件提案"),
    )


def test_same_number_in_another_session_is_allowed():
    proposal = factories.ProposalFactory(number="89")
    other = factories.SessionFactory(committee=proposal.session.committee, term=16)
    Proposal.objects.create(session=other, number="89", title="下一次会议的提案")
    assert Proposal.objects.filter(number="89").count() == 2


def test_session_unique_per_committee():
    session = factories.SessionFactory(term=15, meeting=5)
    assert_violates(
        "uniq_session_per_committee",
        lambda: Session.objects.create(committee=session.committee, term=15, meeting=5),
    )


def test_reply_due_cannot_precede_assignment():
    assert_violates(
        "proposal_reply_due_after_assignment",
        lambda: factories.ProposalFactory(
            assigned_on=datetime.date(2021, 5, 1), reply_due=datetime.date(2021, 4, 1)
        ),
    )


def test_commitment_number_unique_per_reply(commitment):
    assert_violates(
        "uniq_commitment_number_per_reply",
        lambda: CommitmentItem.objects.create(
            reply=commitment.reply, number=commitment.number, text="重复", owner=commitment.owner
        ),
    )


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-3")])
def test_target_quantity_must_be_positive(commitment, quantity):
    assert_violates(
        "target_quantity_positive",
        lambda: Target.objects.create(commitment=commitment, text="新增孵化器", quantity=quantity),
    )


def test_progress_is_a_percentage(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentItem.objects.filter(pk=commitment.pk).update(progress=101)


def test_reply_classification_outside_choices_is_rejected(reply):
    with pytest.raises(IntegrityError), transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(classification="E")


def test_commitment_status_outside_choices_is_rejected(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentItem.objects.filter(pk=commitment.pk).update(status="overdue")


def test_session_label_in_chinese_numerals():
    session = factories.SessionFactory(term=15, meeting=5)
    assert session.label == "十五届五次会议"
    assert str(session).endswith("十五届五次会议")


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


def test_absolute_urls_are_readable(reply):
    proposal = reply.proposal
    session = proposal.session
    assert proposal.get_absolute_url() == (
        f"/p/{session.committee.slug}/{session.term}-{session.meeting}/{proposal.number}/"
    )
