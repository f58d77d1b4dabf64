"""Fixtures shared across the test folders (a folder's own fixtures are in its conftest.py)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from core import roles
from proposals.models import Clerk
from replies.models import CommitmentUpdate
from tests import factories
from tests.helpers import PDF, add_public_data
from tests.samples import require_samples

User = get_user_model()


@pytest.fixture
def samples_dir() -> Path:
    """The sample letters; without them the test skips, or fails under CI=true."""
    return require_samples(Path(settings.SAMPLES_DIR))


@pytest.fixture
def department(db):
    return factories.DepartmentFactory(name="临沂市科学技术局")


@pytest.fixture
def reply(db, department):
    proposal = factories.ProposalFactory(lead_department=department)
    return factories.ReplyFactory(proposal=proposal)


@pytest.fixture
def commitment(reply):
    return factories.CommitmentFactory(reply=reply)


@pytest.fixture
def seed_letter(samples_dir) -> str:
    return (samples_dir / "letters" / "001.txt").read_text(encoding="utf-8")


@pytest.fixture
def seed(db, seed_letter):
    """The seed letter imported through the real parser and importer."""
    from replies.services.letters.importer import import_letter

    return import_letter(text=seed_letter)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached pages and roll-ups of an earlier
    test's rows (rolled back since) must not answer for this one."""
    from django.core.cache import cache

    cache.clear()
    yield


def make_user(username: str, group: str | None = None, *, staff=True, department=None):
    user = User.objects.create_user(username, password="pw-123456", is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))
    if department is not None:
        Clerk.objects.create(user=user, department=department)
    return user


@pytest.fixture
def world(db):
    """Two departments, each with a published reply, a commitment and a target; the
    proposal office, a clerk of the first department and a member who proposed its
    proposal."""
    own = factories.DepartmentFactory(name="临沂市科学技术局", email="kj@example.gov.cn")
    other = factories.DepartmentFactory(name="临沂市教育局", email="jy@example.gov.cn")
    data = {}
    for key, department in (("own", own), ("other", other)):
        proposal = factories.ProposalFactory(lead_department=department, status="replied")
        reply = factories.ReplyFactory(proposal=proposal, department=department)
        item = factories.CommitmentFactory(reply=reply, owner=department)
        target = factories.TargetFactory(commitment=item, quantity=20)
        data[key] = {
            "department": department,
            "proposal": proposal,
            "reply": reply,
            "item": item,
            "target": target,
        }
    member_proposer = factories.ProposerFactory(name="王坤", email="wangkun@example.com")
    data["own"]["proposal"].proposers.add(member_proposer)
    data["users"] = {
        "office": make_user("office", roles.OFFICE),
        "clerk": make_user("clerk", roles.CLERK, department=own),
        "member": make_user("member", roles.MEMBER, staff=False),
    }
    member_proposer.user = data["users"]["member"]
    member_proposer.save()
    return data


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def evidence_world(db, media):
    """A published and a draft commitment of two departments, each with a PDF update."""
    roles.ensure_roles()
    own = factories.DepartmentFactory(name="临沂市科学技术局")
    other = factories.DepartmentFactory(name="临沂市教育局")
    world = {}
    for key, published in (("public", True), ("draft", False)):
        reply = factories.ReplyFactory(
            proposal=factories.ProposalFactory(lead_department=own), department=own
        )
        if not published:
            reply.published_at = None
            reply.save()
        item = factories.CommitmentFactory(reply=reply, owner=own)
        update = CommitmentUpdate.objects.create(
            commitment=item,
            date="2021-09-01",
            status="in_progress",
            attachment=SimpleUploadedFile(f"{key}证明.pdf", PDF),
        )
        world[key] = update
    office = User.objects.create_user("office", password="x", is_staff=True)
    office.groups.add(Group.objects.get(name=roles.OFFICE))
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.CLERK))
    Clerk.objects.create(user=clerk, department=other)
    member = User.objects.create_user("member", password="x")
    proposer = factories.ProposerFactory(user=member)
    world["draft"].commitment.reply.proposal.proposers.add(proposer)
    world.update(office=office, other_clerk=clerk, member=member)
    return world


@pytest.fixture
def uncached(settings):
    """No cache at all, for counting queries: a count taken on a cache hit (a cached page,
    a cached roll-up) proves nothing. Pair it with ``helpers.count_queries``."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture
def public_data(db):
    """``public_data(copies, committee=…, session=…, department=…)`` publishes ``copies``
    replies with commitments, targets, updates, proposers and topics."""
    return add_public_data


@pytest.fixture
def admin_rows(db):
    """``admin_rows(copies)`` writes ``copies`` rows of every model the admin shows."""

    def make(copies: int) -> None:
        import datetime

        from proposals.models import DeadlineExtension
        from replies.models import DeadlineChange, Reminder, ReplyRevision

        for _ in range(copies):
            commitment = factories.CommitmentFactory()
            factories.TargetFactory(commitment=commitment)
            factories.CommitmentUpdateFactory(commitment=commitment)
            proposal = commitment.reply.proposal
            proposal.proposers.add(factories.ProposerFactory())
            proposal.topics.add(factories.TopicFactory())
            proposal.co_departments.add(factories.DepartmentFactory())
            user = User.objects.create_user(f"clerk{commitment.pk}", is_staff=True)
            Clerk.objects.create(user=user, department=commitment.owner)
            DeadlineExtension.objects.create(
                proposal=proposal,
                new_due=datetime.date(2022, 1, 1),
                reason="需要更多时间",
                requested_by=user,
            )
            Reminder.objects.create(
                commitment=commitment, kind="overdue", sent_on=datetime.date(2022, 1, 2)
            )
            DeadlineChange.objects.create(
                commitment=commitment,
                new_due=datetime.date(2031, 1, 1),
                reason="工程延后",
                requested_by=user,
            )
            ReplyRevision.objects.create(
                reply=commitment.reply, changes={"reply": {"body": "修订后的正文"}}, created_by=user
            )

    return make
