"""Admin smoke tests for every model, and changelists that do not grow with the data."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from replies.models import CommitmentStatus, CommitmentUpdate
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = [
    model for model in admin.site._registry if model._meta.app_label in {"proposals", "replies"}
]


# Written by the system (the reminder job) or from another page (a deadline change is
# asked for on its commitment's page, a revision is made by editing a published reply).
READ_ONLY = {"Reminder", "DeadlineChange", "ReplyRevision"}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_data(copies: int) -> None:
    import datetime

    from django.contrib.auth import get_user_model

    from proposals.models import Clerk, DeadlineExtension
    from replies.models import DeadlineChange, Reminder, ReplyRevision

    for _ in range(copies):
        commitment = factories.CommitmentFactory()
        factories.TargetFactory(commitment=commitment)
        factories.CommitmentUpdateFactory(commitment=commitment)
        proposal = commitment.reply.proposal
        proposal.proposers.add(factories.ProposerFactory())
        proposal.topics.add(factories.TopicFactory())
        proposal.co_departments.add(factories.DepartmentFactory())
        user = get_user_model().objects.create_user(f"clerk{commitment.pk}", is_staff=True)
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
            old_due=None,
            new_due=datetime.date(2031, 1, 1),
            reason="工程延后",
            requested_by=user,
        )
        ReplyRevision.objects.create(
            reply=commitment.reply, changes={"reply": {"body": "修订后的正文"}}, created_by=user
        )


def test_every_domain_model_is_registered():
    names = {model.__name__ for model in MODELS}
    assert {
        "Committee",
        "Session",
        "Proposer",
        "Department",
        "Proposal",
        "Topic",
        "Reply",
        "CommitmentItem",
        "Target",
        "CommitmentUpdate",
        "Clerk",
        "DeadlineExtension",
    } <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_search_and_add_form(admin_client, model):
    make_data(2)
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "科技"}).status_code == 200
    expected = 403 if model.__name__ in READ_ONLY else 200
    assert admin_client.get(admin_url(model, "add")).status_code == expected


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_form_opens(admin_client, model):
    make_data(1)
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_query_count_does_not_grow(admin_client, model):
    """Counting queries on each changelist prevents an N+1 from slipping in."""
    make_data(2)
    url = admin_url(model, "changelist")
    admin_client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    make_data(6)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_admin_is_in_chinese(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert "提案答复追踪" in response.content.decode()
    assert "承诺事项" in response.content.decode()


def test_update_added_in_admin_becomes_commitment_status(admin_client, admin_user, commitment):
    response = admin_client.post(
        admin_url(CommitmentUpdate, "add"),
        {
            "commitment": commitment.pk,
            "date": "2021-10-01",
            "status": "fulfilled",
            "note": "已建成",
        },
    )
    assert response.status_code == 302, response.content.decode()
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.FULFILLED
    assert commitment.updates.get().author == admin_user


def test_updates_cannot_be_edited_or_deleted(admin_client, commitment):
    update = factories.CommitmentUpdateFactory(commitment=commitment)
    url = admin_url(CommitmentUpdate, "change", update.pk)
    response = admin_client.post(
        url, {"commitment": commitment.pk, "date": "2020-01-01", "status": "fulfilled"}
    )
    assert response.status_code == 403
    assert (
        admin_client.post(
            admin_url(CommitmentUpdate, "delete", update.pk), {"post": "yes"}
        ).status_code
        == 403
    )
    update.refresh_from_db()
    assert update.status == "in_progress"


def test_invalid_update_redisplays_form_with_error(admin_client, commitment):
    response = admin_client.post(
        admin_url(CommitmentUpdate, "add"),
        {"commitment": commitment.pk, "date": "2021-02-30", "status": "fulfilled"},
    )
    assert response.status_code == 200
    assert "有效的日期" in response.content.decode()
    assert not CommitmentUpdate.objects.exists()


def test_publish_action(admin_client, reply):
    from replies.models import Reply

    draft = factories.ReplyFactory(published_at=None)
    response = admin_client.post(
        admin_url(Reply, "changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
