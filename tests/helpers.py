"""Helpers shared by the test modules; the shared fixtures are in tests/conftest.py."""

import pytest
from django.db import IntegrityError, transaction

from bench.synthetic import Composer
from proposals.models import Committee, Department, Proposal, Proposer, Session
from replies.models import CommitmentItem, CommitmentStatus, CommitmentUpdate, Reply, Target
from replies.services import progress, publication
from tests import factories

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def text(response) -> str:
    """The page with highlighting removed, to look for titles in search results."""
    return body(response).replace("<mark>", "").replace("</mark>", "")


# ---------------------------------------------------------------------------
# Named database constraints
# ---------------------------------------------------------------------------


def assert_violates(constraint: str, create) -> None:
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        create()
    # PostgreSQL names the constraint; SQLite names the columns of a unique one.
    message = str(excinfo.value)
    assert constraint in message or "UNIQUE" in message or "CHECK" in message, message


# ---------------------------------------------------------------------------
# Letters and what importing them stores
# ---------------------------------------------------------------------------

# A saved page without the letter: nothing but its print and close links. The reply would
# have no body, so validation refuses it; before that, it creates what a letter naming
# nothing needs (a committee, session, department and proposal).
EMPTY_LETTER = "打印本页 关闭窗口"
# Named nothing either: the same committee, session, department and proposal number.
UNNAMED_LETTER = "感谢您的建议。我们将加强社区养老服务。"


def table_counts() -> dict[str, int]:
    """Rows of the tables an import writes."""
    models = [
        Committee,
        Session,
        Department,
        Proposer,
        Proposal,
        Reply,
        CommitmentItem,
        Target,
        CommitmentUpdate,
    ]
    return {model.__name__: model.objects.count() for model in models}


def synthetic_letters(count: int) -> list[str]:
    """An answer and a co-handler's opinion for each of ``count`` generated proposals."""
    composer = Composer(7)
    letters = []
    for index in range(count):
        proposal = composer.proposal(index + 1, [])
        letters += [reply.body for reply in proposal.replies[:2]]
    return letters


# ---------------------------------------------------------------------------
# Public data
# ---------------------------------------------------------------------------


def add_public_data(copies: int, *, committee=None, session=None, department=None) -> None:
    """Published replies with commitments, targets, updates, proposers and topics."""
    session = session or factories.SessionFactory(
        committee=committee or factories.CommitteeFactory()
    )
    topic = factories.TopicFactory()
    for _ in range(copies):
        proposal = factories.ProposalFactory(
            session=session, **({"lead_department": department} if department else {})
        )
        proposal.proposers.add(factories.ProposerFactory())
        proposal.topics.add(topic)
        reply = factories.ReplyFactory(proposal=proposal, classification="B")
        for number in (1, 2):
            item = factories.CommitmentFactory(reply=reply, number=number, topic=topic)
            factories.TargetFactory(commitment=item)
            progress.post_update(commitment=item, status=CommitmentStatus.IN_PROGRESS)
        publication.publish_reply(reply=reply, when=reply.published_at)
