"""proposals.services: the handling workflow, working days and reply deadlines."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from core.versioning import public_version
from proposals import services as workflow
from proposals.models import Proposal
from tests import factories

pytestmark = pytest.mark.django_db


def test_workflow_allows_and_refuses_transitions(world):
    proposal = factories.ProposalFactory(status="submitted", lead_department=None)
    with pytest.raises(workflow.TransitionError, match="不能从"):
        workflow.transition(proposal=proposal, to=Proposal.Status.REPLIED)
    workflow.transition(proposal=proposal, to=Proposal.Status.ACCEPTED)
    workflow.assign(
        proposal=proposal,
        lead=world["own"]["department"],
        co_departments=[world["other"]["department"]],
        assigned_on=datetime.date(2024, 1, 31),
    )
    proposal.refresh_from_db()
    assert proposal.status == "assigned"
    assert proposal.reply_due == datetime.date(2024, 4, 30)
    assert list(proposal.co_departments.all()) == [world["other"]["department"]]
    with pytest.raises(workflow.TransitionError):
        workflow.transition(proposal=proposal, to=Proposal.Status.REJECTED)
    workflow.transition(proposal=proposal, to=Proposal.Status.REPLIED)
    workflow.transition(proposal=proposal, to=Proposal.Status.CLOSED)
    with pytest.raises(workflow.TransitionError):
        workflow.transition(proposal=proposal, to=Proposal.Status.ASSIGNED)


def test_working_days_count_holidays_and_makeup_days():
    # Assigned Fri 27 Sep 2024: Sun 29 Sep and Sat 12 Oct are make-up workdays and 1–7 Oct
    # are National Day holidays, so the tenth working day is Wed 16 Oct (weekdays alone
    # would say Fri 11 Oct).
    assert workflow.add_working_days(datetime.date(2024, 9, 27), 10) == datetime.date(2024, 10, 16)


def test_misassigned_proposal_returned_only_within_ten_working_days(world):
    proposal = factories.ProposalFactory(status="accepted")
    workflow.assign(
        proposal=proposal, lead=world["own"]["department"], assigned_on=datetime.date(2024, 9, 27)
    )
    with pytest.raises(workflow.TransitionError, match="工作日"):
        workflow.return_misassigned(proposal=proposal, today=datetime.date(2024, 10, 17))
    workflow.return_misassigned(proposal=proposal, today=datetime.date(2024, 10, 16))
    proposal.refresh_from_db()
    assert proposal.status == "accepted" and proposal.lead_department is None


def test_extension_moves_reply_due_once_approved(world):
    proposal = factories.ProposalFactory(status="accepted")
    workflow.assign(
        proposal=proposal, lead=world["own"]["department"], assigned_on=datetime.date(2024, 1, 1)
    )
    extension = workflow.request_extension(
        proposal=proposal,
        new_due=datetime.date(2024, 5, 31),
        reason="需协调省级部门",
        user=world["users"]["clerk"],
    )
    proposal.refresh_from_db()
    assert proposal.reply_due == datetime.date(2024, 4, 1)
    workflow.approve_extension(extension=extension, user=world["users"]["office"])
    proposal.refresh_from_db()
    assert proposal.reply_due == datetime.date(2024, 5, 31)
    assert list(Proposal.objects.overdue(datetime.date(2024, 5, 1))) == []
    assert list(Proposal.objects.overdue(datetime.date(2024, 6, 1))) == [proposal]


def test_record_assignments_sets_the_dates_assign_would(world):
    """An imported proposal's 交办 date, recorded afterwards: the reply due date counted
    from it as ``assign`` counts it, with history, and the public version bumped."""
    replied = world["own"]["proposal"]
    closed = world["other"]["proposal"]
    workflow.transition(proposal=closed, to=Proposal.Status.CLOSED)
    replied.is_public = True
    replied.save()
    before = public_version()
    workflow.record_assignments(
        {replied.pk: datetime.date(2024, 1, 31), closed.pk: datetime.date(2023, 11, 30)}
    )
    replied.refresh_from_db()
    closed.refresh_from_db()
    assert (replied.assigned_on, replied.reply_due) == (
        datetime.date(2024, 1, 31),
        datetime.date(2024, 4, 30),
    )
    assert closed.reply_due == datetime.date(2024, 2, 29)
    assert replied.history.first().reply_due == datetime.date(2024, 4, 30)
    assert public_version()[0] == before[0] + 1


@pytest.mark.parametrize(
    ("status", "assigned_on", "day", "message"),
    [
        ("replied", datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), "已有交办日期"),
        ("accepted", None, datetime.date(2024, 2, 1), "尚未交办"),
        ("replied", None, datetime.date(2999, 1, 1), "不能晚于今天"),
    ],
)
def test_record_assignments_refuses_all_or_nothing(world, status, assigned_on, day, message):
    good = world["own"]["proposal"]
    bad = factories.ProposalFactory(status=status, assigned_on=assigned_on)
    with pytest.raises(ValidationError, match=message):
        workflow.record_assignments({good.pk: datetime.date(2024, 1, 1), bad.pk: day})
    good.refresh_from_db()
    assert good.assigned_on is None


def test_transition_all_moves_every_proposal_or_none(world):
    own, other = world["own"]["proposal"], world["other"]["proposal"]
    submitted = factories.ProposalFactory(status="submitted")
    with pytest.raises(workflow.TransitionError, match="不能从"):
        workflow.transition_all(proposals=[own, submitted], to=Proposal.Status.CLOSED)
    own.refresh_from_db()
    assert own.status == "replied"
    workflow.transition_all(proposals=[own, other], to=Proposal.Status.CLOSED)
    assert set(Proposal.objects.filter(status="closed")) == {own, other}
    assert own.history.first().status == "closed"
