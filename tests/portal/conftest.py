"""Query counts on the portal's pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from replies.models import CommitmentStatus
from replies.services import progress, publication
from tests import factories
from tests.helpers import add_public_data


def _count_queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


@pytest.fixture
def page_queries(client, db):
    """``page_queries(url_for)``: the queries of the page at ``url_for(data)`` with little
    data and with more, as (few, many); ``data`` holds the proposal and session shown."""

    def measure(url_for) -> tuple[int, int]:
        department = factories.DepartmentFactory(name="固定测试局")
        session = factories.SessionFactory()
        proposal = factories.ProposalFactory(session=session, lead_department=department)
        reply = factories.ReplyFactory(proposal=proposal)
        for number in (1, 2, 3):
            item = factories.CommitmentFactory(reply=reply, number=number)
            factories.TargetFactory(commitment=item)
            progress.post_update(commitment=item, status=CommitmentStatus.IN_PROGRESS)
        publication.publish_reply(reply=reply, when=reply.published_at)
        data = {"proposal": proposal, "session": session}
        add_public_data(2, session=session)
        few = _count_queries(client, url_for(data))
        add_public_data(6, session=session)
        for number in (4, 5, 6):
            item = factories.CommitmentFactory(reply=reply, number=number)
            factories.TargetFactory(commitment=item)
            progress.post_update(commitment=item, status=CommitmentStatus.FULFILLED)
        many = _count_queries(client, url_for(data))
        return few, many

    return measure
