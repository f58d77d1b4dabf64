"""proposals.admin: every model's admin pages open, changelists do not grow with the data,
and the workflow actions (assign, return, refused transitions)."""

import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label == "proposals"]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_proposals_model_is_registered():
    names = {model.__name__ for model in MODELS}
    assert {
        "Committee",
        "Session",
        "Proposer",
        "Department",
        "Proposal",
        "Topic",
        "Clerk",
        "DeadlineExtension",
    } <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_search_and_add_form(admin_client, admin_rows, model):
    admin_rows(2)
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "科技"}).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_form_opens(admin_client, admin_rows, model):
    admin_rows(1)
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_query_count_does_not_grow(admin_client, admin_rows, model):
    """Counting queries on each changelist prevents an N+1 from slipping in."""
    admin_rows(2)
    url = admin_url(model, "changelist")
    admin_client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    admin_rows(6)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_office_assigns_and_clerk_returns_from_the_admin(client, world):
    proposal = factories.ProposalFactory(
        status="accepted", lead_department=world["own"]["department"]
    )
    client.force_login(world["users"]["office"])
    changelist = reverse("admin:proposals_proposal_changelist")
    client.post(changelist, {"action": "assign", "_selected_action": [proposal.pk]})
    proposal.refresh_from_db()
    assert proposal.status == "assigned" and proposal.reply_due is not None
    client.force_login(world["users"]["clerk"])
    client.post(changelist, {"action": "return_misassigned", "_selected_action": [proposal.pk]})
    proposal.refresh_from_db()
    assert proposal.status == "accepted" and proposal.lead_department is None


def test_refused_transition_in_admin_says_why(client, world):
    proposal = world["own"]["proposal"]  # replied
    client.force_login(world["users"]["office"])
    response = client.post(
        reverse("admin:proposals_proposal_changelist"),
        {"action": "reject", "_selected_action": [proposal.pk]},
        follow=True,
    )
    assert "不能从“已答复”变为“不予立案”" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "replied"


def test_changelists_leave_the_list_the_width(admin_client, admin_rows):
    """At 1366 px a changelist has the screen's width for its columns: no app list beside
    it, and the admin stylesheet that gives long texts a floor width (so a title is never
    squeezed to two characters a line) and lets foreign keys' names wrap."""
    from django.contrib.staticfiles import finders

    admin_rows(1)
    for url in ("admin:proposals_proposal_changelist", "admin:replies_reply_changelist"):
        html = admin_client.get(reverse(url)).content.decode()
        assert 'id="nav-sidebar"' not in html, url
        assert re.search(r'<link rel="stylesheet" href="[^"]*css/admin\.css">', html), url
    css = Path(finders.find("css/admin.css")).read_text(encoding="utf-8")
    for rule in (".field-title", "td.nowrap.field-proposal", "td.nowrap.field-department"):
        assert rule in css, rule


def test_deleting_an_assigned_proposal_recounts_its_department(client):
    """The admin deletes through the service: a proposal assigned and waiting for its reply
    (a draft only) leaves its lead department's 办复率; one with a published reply is never
    deleted."""
    from core import roles
    from proposals import services
    from proposals.models import Proposal
    from replies import selectors
    from tests.conftest import make_user

    client.force_login(make_user("delete-office", roles.OFFICE))
    department = factories.DepartmentFactory()
    proposal = factories.ProposalFactory(lead_department=None)
    services.transition(proposal=proposal, to=Proposal.Status.ACCEPTED)
    services.assign(proposal=proposal, lead=department)
    factories.ReplyFactory(proposal=proposal, department=department, published_at=None)
    rows = selectors.dashboard(department=department)["by_department"]
    assert rows[0]["assigned"] == 1
    url = reverse("admin:proposals_proposal_delete", args=[proposal.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Proposal.objects.filter(pk=proposal.pk).exists()
    assert not selectors.dashboard(department=department)["by_department"]
    published = factories.ReplyFactory()
    url = reverse("admin:proposals_proposal_delete", args=[published.proposal_id])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Proposal.objects.filter(pk=published.proposal_id).exists()


def test_the_office_records_the_assignment_date_of_an_imported_proposal(client, world):
    """A letter names no 交办 date: the office enters it once on the proposal's page; the
    reply due date follows from it (services.record_assignments) and 按时办复率 counts it.
    Then the field is read-only (the due date moves only by an approved extension)."""
    import datetime

    from django.utils import timezone

    from core import roles
    from proposals.models import Proposal
    from replies import selectors
    from tests.conftest import make_user
    from tests.replies.test_admin_coverage import change_data

    proposal = world["own"]["proposal"]
    Proposal.objects.filter(pk=proposal.pk).update(
        assigned_on=None, reply_due=None, status=Proposal.Status.REPLIED
    )
    client.force_login(make_user("assign-office", roles.OFFICE))
    url = reverse("admin:proposals_proposal_change", args=[proposal.pk])
    data = change_data(client, url)
    assert "assigned_on" in data
    data["assigned_on"] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(url, data)
    assert response.status_code == 200 and "交办日期不能晚于今天" in response.content.decode()
    data["assigned_on"] = "2021-03-01"
    assert client.post(url, data).status_code == 302
    proposal.refresh_from_db()
    assert (proposal.assigned_on, proposal.reply_due) == (
        datetime.date(2021, 3, 1),
        datetime.date(2021, 6, 1),
    )
    row = selectors.dashboard(department=proposal.lead_department)["by_department"][0]
    assert row["due_passed"] == 1
    assert "assigned_on" not in change_data(client, url)
