"""Query counts on the portal's pages."""

import datetime

import pytest

from replies.models import CommitmentStatus
from replies.services import progress, publication
from tests import factories
from tests.helpers import add_public_data, count_queries


def _add_commitments(reply, numbers, status) -> None:
    for number in numbers:
        item = factories.CommitmentFactory(reply=reply, number=number)
        factories.TargetFactory(commitment=item)
        factories.TargetFactory(commitment=item, text="新增众创空间", quantity=5)
        progress.post_update(commitment=item, status=status)


@pytest.fixture
def page_queries(client, uncached):
    """``page_queries(url_for)``: the queries of the page at ``url_for(data)``, uncached,
    as (few, many): with 3 proposals, replies and commitments on the page's proposal, then
    with 12 of each (more proposers, targets and updates too), all in one session and one
    department, so that one query per row more would show. ``data`` holds the proposal
    and session shown."""

    def measure(url_for) -> tuple[int, int]:
        department = factories.DepartmentFactory(name="固定测试局")
        session = factories.SessionFactory()
        proposal = factories.ProposalFactory(session=session, lead_department=department)
        proposal.proposers.add(factories.ProposerFactory())
        reply = factories.ReplyFactory(proposal=proposal)
        _add_commitments(reply, range(1, 4), CommitmentStatus.IN_PROGRESS)
        publication.publish_reply(reply=reply)
        data = {"proposal": proposal, "session": session}
        add_public_data(2, session=session, department=department)
        few = count_queries(client, url_for(data))

        add_public_data(9, session=session, department=department)
        _add_commitments(reply, range(4, 13), CommitmentStatus.FULFILLED)
        for item in reply.commitments.all():
            progress.post_update(commitment=item, status=CommitmentStatus.PARTIAL, note="再报")
        for _ in range(3):
            proposal.proposers.add(factories.ProposerFactory())
        many = count_queries(client, url_for(data))
        return few, many

    return measure


@pytest.fixture
def member_proposals(world):
    """``member_proposals(count)`` adds ``count`` proposals of the world's member, each in
    a committee, session and department of its own, with a published reply, an overdue
    proposal beside it, a draft co-handler's opinion, and commitments with targets and
    updates."""
    member = world["users"]["member"]

    def add(count: int) -> None:
        for _ in range(count):
            proposal = factories.ProposalFactory()
            proposal.proposers.add(member.proposer)
            reply = factories.ReplyFactory(proposal=proposal)
            factories.ReplyFactory(proposal=proposal, published_at=None, role="co_opinion")
            for number in (1, 2):
                item = factories.CommitmentFactory(
                    reply=reply, number=number, due_on=datetime.date(2020, 1, 1)
                )
                factories.TargetFactory(commitment=item)
                progress.post_update(commitment=item, status="in_progress")
            factories.ProposalFactory(
                session=proposal.session,
                status="assigned",
                assigned_on=datetime.date(2020, 1, 1),
                reply_due=datetime.date(2020, 4, 1),
            )

    return add
