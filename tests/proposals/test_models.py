"""The proposals' invariants are enforced by the database itself, by name."""

import datetime

import pytest

from proposals.models import Proposal, Session
from tests import factories
from tests.helpers import assert_violates

pytestmark = pytest.mark.django_db


def test_second_proposal_with_same_number_in_session_is_rejected():
    proposal = factories.ProposalFactory(number="89")
    assert_violates(
        Proposal(session=proposal.session, number="89", title="另一件提案"),
        "uniq_proposal_number_per_session",
    )


def test_same_number_in_another_session_is_allowed():
    proposal = factories.ProposalFactory(number="89")
    other = factories.SessionFactory(committee=proposal.session.committee, term=16)
    Proposal.objects.create(session=other, number="89", title="下一次会议的提案")
    assert Proposal.objects.filter(number="89").count() == 2


def test_session_unique_per_committee():
    session = factories.SessionFactory(term=15, meeting=5)
    assert_violates(
        Session(committee=session.committee, term=15, meeting=5), "uniq_session_per_committee"
    )


def test_reply_due_cannot_precede_assignment():
    assert_violates(
        Proposal(
            session=factories.SessionFactory(),
            number="1",
            title="交办前就到期的提案",
            assigned_on=datetime.date(2021, 5, 1),
            reply_due=datetime.date(2021, 4, 1),
        ),
        "proposal_reply_due_after_assignment",
    )


def test_session_label_in_chinese_numerals():
    session = factories.SessionFactory(term=15, meeting=5)
    assert session.label == "十五届五次会议"
    assert str(session).endswith("十五届五次会议")


def test_absolute_urls_are_readable(reply):
    proposal = reply.proposal
    session = proposal.session
    assert proposal.get_absolute_url() == (
        f"/p/{session.committee.slug}/{session.term}-{session.meeting}/{proposal.number}/"
    )
