"""Search results and the home page carry each proposal's status chips: its status, its
public commitments fulfilled out of all, and how many are overdue."""

import datetime
import re

import pytest
from django.urls import reverse

from replies.models import CommitmentStatus
from replies.services import progress, publication
from tests import factories
from tests.helpers import body


@pytest.fixture
def proposal(db, uncached):
    """A published reply with three commitments: one fulfilled, one overdue, one open."""
    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="关于芯片产业的建议"), published_at=None
    )
    for number, due_on, status in (
        (1, datetime.date(2020, 1, 1), CommitmentStatus.FULFILLED),
        (2, datetime.date(2020, 1, 1), CommitmentStatus.IN_PROGRESS),
        (3, datetime.date(2099, 1, 1), CommitmentStatus.IN_PROGRESS),
    ):
        item = factories.CommitmentFactory(reply=reply, number=number, due_on=due_on)
        progress.post_update(commitment=item, status=status)
    publication.publish_reply(reply=reply)
    reply.proposal.refresh_from_db()
    return reply.proposal


def _chips(html: str) -> list[str]:
    block = re.search(r'<ul class="chips"[^>]*>(.*?)</ul>', html, re.S)
    assert block, "no chips"
    return [
        re.sub(r"\s+", " ", chip).strip()
        for chip in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)
    ]


@pytest.mark.parametrize("url", [reverse("portal:home"), reverse("portal:search")])
def test_a_proposal_carries_its_chips(client, proposal, url):
    chips = _chips(body(client.get(url)))
    assert chips == [proposal.get_status_display(), "承诺已完成 1/3", "已逾期 1 项"]


@pytest.mark.django_db
def test_a_proposal_without_commitments_shows_its_status_only(client, uncached):
    reply = factories.ReplyFactory(published_at=None)
    publication.publish_reply(reply=reply)
    reply.proposal.refresh_from_db()
    assert _chips(body(client.get(reverse("portal:search")))) == [
        reply.proposal.get_status_display()
    ]
