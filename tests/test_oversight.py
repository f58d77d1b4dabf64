"""Roles, the handling workflow, progress, satisfaction, reminders and the dashboard."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import roles
from proposals import services as workflow
from proposals.models import Clerk, Proposal
from replies import selectors
from replies.models import CommitmentStatus, CommitmentUpdate, Reminder, Reply, Satisfaction
from replies.services import progress, publication, rating, reminders
from replies.services.letters import importer
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()


def make_user(username: str, group: str | None = None, *, staff=True, department=None):
    user = User.objects.create_user(username, password="pw-123456", is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))
    if department is not None:
        Clerk.objects.create(user=user, department=department)
    return user


@pytest.fixture
def world():
    """Two departments, each with a published reply, a commitment and a target."""
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


def admin_url(obj, view: str) -> str:
    meta = obj._meta
    args = [] if view in ("changelist", "add") else [obj.pk]
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


# (role, whose object, admin view) → expected status code
ADMIN_MATRIX = [
    # The office may do everything on any department's objects.
    *[("office", whose, view, 200) for whose in ("own", "other") for view in ("change", "history")],
    # A clerk sees their own department's reply and commitment...
    ("clerk", "own", "change", 200),
    ("clerk", "own", "history", 200),
    # ...and is refused another department's by URL.
    ("clerk", "other", "change", 403),
    ("clerk", "other", "history", 403),
    ("clerk", "other", "delete", 403),
    # A member has no admin at all.
    ("member", "own", "change", 302),
]


@pytest.mark.parametrize(
    "kind,role,whose,view,expected",
    [
        (kind, *row)
        for kind in ("reply", "item", "target")
        for row in ADMIN_MATRIX
        # Targets are edited inside their commitment; they keep no history of their own.
        if not (kind == "target" and row[2] == "history")
    ],
)
def test_admin_permission_matrix(client, world, kind, role, whose, view, expected):
    obj = world[whose][kind]
    client.force_login(world["users"][role])
    response = client.get(admin_url(obj, view))
    assert response.status_code == expected, (role, whose, view, kind)


@pytest.mark.parametrize("model_name", ["reply", "commitmentitem", "commitmentupdate", "target"])
def test_clerk_changelist_shows_only_own_department(client, world, model_name):
    progress.post_update(commitment=world["own"]["item"], status="in_progress")
    progress.post_update(commitment=world["other"]["item"], status="in_progress")
    client.force_login(world["users"]["clerk"])
    response = client.get(reverse(f"admin:replies_{model_name}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_clerk_autocomplete_offers_only_own_department(client, world):
    client.force_login(world["users"]["clerk"])
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "replies",
            "model_name": "commitmentupdate",
            "field_name": "commitment",
            "term": "",
        },
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {world["own"]["item"].pk}


def test_clerk_cannot_post_update_for_other_department_in_admin(client, world):
    client.force_login(world["users"]["clerk"])
    response = client.post(
        reverse("admin:replies_commitmentupdate_add"),
        {"commitment": world["other"]["item"].pk, "date": "2024-01-01", "status": "fulfilled"},
    )
    assert response.status_code == 200  # form redisplayed: not a valid choice
    assert not CommitmentUpdate.objects.exists()


def test_clerk_cannot_publish(client, world):
    draft = world["own"]["reply"]
    publication.withdraw_reply(reply=draft, reason="测试：撤回", actor=None)
    client.force_login(world["users"]["clerk"])
    response = client.post(
        reverse("admin:replies_reply_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert not draft.is_published
    assert response.status_code in (200, 302)


def test_office_can_publish_and_proposers_are_emailed(
    client, world, django_capture_on_commit_callbacks
):
    reply = factories.ReplyFactory(
        proposal=world["own"]["proposal"], department=world["own"]["department"], published_at=None
    )
    client.force_login(world["users"]["office"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:replies_reply_changelist"),
            {"action": "publish", "_selected_action": [reply.pk]},
        )
    reply.refresh_from_db()
    assert reply.is_published
    assert [m.to for m in mail.outbox] == [["wangkun@example.com"]]


SITE_MATRIX = [
    ("anonymous", "own", 302),
    ("member", "own", 403),
    ("clerk", "own", 200),
    ("clerk", "other", 403),
    ("office", "other", 200),
]


@pytest.mark.parametrize("role,whose,expected", SITE_MATRIX)
def test_progress_page_permissions(client, world, role, whose, expected):
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.get(reverse("portal:progress", args=[world[whose]["item"].pk]))
    assert response.status_code == expected


def test_clerk_posts_progress_with_achieved_values(client, world):
    item, target = world["own"]["item"], world["own"]["target"]
    client.force_login(world["users"]["clerk"])
    response = client.post(
        reverse("portal:progress", args=[item.pk]),
        {
            "version": item.version,
            "date": "2024-03-01",
            "status": "in_progress",
            "note": "已新增孵化器5家",
            f"achieved_{target.pk}": "5",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    target.refresh_from_db()
    assert item.status == "in_progress"
    assert target.achieved == Decimal(5)
    assert item.progress == 25
    assert item.updates.get().author == world["users"]["clerk"]


def test_second_of_two_simultaneous_edits_is_told_and_shown_newer_state(client, world):
    item = world["own"]["item"]
    loaded = item.version
    progress.record_progress(
        commitment=item, expected_version=loaded, status="fulfilled", note="第一位"
    )
    client.force_login(world["users"]["clerk"])
    response = client.post(
        reverse("portal:progress", args=[item.pk]),
        {"version": loaded, "date": "2024-03-01", "status": "in_progress", "note": "第二位"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "已被他人" in html and "已完成" in html
    item.refresh_from_db()
    assert item.status == "fulfilled"
    assert list(item.updates.values_list("note", flat=True)) == ["第一位"]


def test_stale_admin_edit_is_refused(client, world):
    item = world["own"]["item"]
    client.force_login(world["users"]["office"])
    url = admin_url(item, "change")
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {
            "reply": item.reply_id,
            "owner": item.owner_id,
            "number": item.number,
            "heading": "改过的小标题",
            "text": item.text,
            "loaded_version": item.version,
        }
    )
    for prefix in ("targets", "updates"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(
        {
            "targets-TOTAL_FORMS": 1,
            "targets-INITIAL_FORMS": 1,
            "targets-0-id": world["own"]["target"].pk,
            "targets-0-commitment": item.pk,
            "targets-0-text": "新增孵化器",
            "targets-0-quantity": "20",
            "targets-0-unit": "家",
        }
    )
    progress.post_update(commitment=item, status="fulfilled")
    progress.record_progress(commitment=item, expected_version=item.version, status="fulfilled")
    response = client.post(url, {k: v for k, v in data.items() if v is not None})
    assert response.status_code == 200
    assert "已被他人" in response.content.decode()
    item.refresh_from_db()
    assert item.heading != "改过的小标题"


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


def test_member_sees_own_drafts_and_rates_unsatisfied_reopens(
    client, world, django_capture_on_commit_callbacks
):
    reply = world["own"]["reply"]
    draft = factories.ReplyFactory(
        proposal=world["own"]["proposal"],
        body="尚未公开的会办意见",
        published_at=None,
        department=world["other"]["department"],
        role="co_opinion",
    )
    client.force_login(world["users"]["member"])
    html = client.get(reverse("portal:mine")).content.decode()
    assert "尚未公开的会办意见" in html and "草稿" in html
    assert draft.proposal.title in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:rate", args=[reply.pk]),
            {"satisfaction": "unsatisfied", "comment": "措施不够具体"},
        )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.satisfaction == Satisfaction.UNSATISFIED
    proposal = reply.proposal
    proposal.refresh_from_db()
    assert proposal.status == "assigned"
    assert [m.to for m in mail.outbox] == [["kj@example.gov.cn"]]
    assert "措施不够具体" in mail.outbox[0].body


def test_member_cannot_rate_someone_elses_reply(client, world):
    client.force_login(world["users"]["member"])
    response = client.post(
        reverse("portal:rate", args=[world["other"]["reply"].pk]), {"satisfaction": "satisfied"}
    )
    assert response.status_code == 404
    world["other"]["reply"].refresh_from_db()
    assert world["other"]["reply"].satisfaction == ""


def test_new_letter_after_unsatisfied_rating_supersedes_old_reply(seed, seed_letter):
    rating.rate_reply(reply=seed.reply, satisfaction="unsatisfied", comment="不满意")
    again = importer.import_letter(text=seed_letter.replace("力争新增", "确保新增"))
    assert again.reply.pk != seed.reply.pk
    assert again.reply.supersedes_id == seed.reply.pk
    assert Reply.objects.filter(proposal=seed.proposal).count() == 2


def test_reminders_are_sent_once_per_item_per_day(world):
    today = datetime.date(2024, 6, 1)
    own, other = world["own"]["item"], world["other"]["item"]
    own.due_on = today + datetime.timedelta(days=10)
    own.save()
    other.due_on = today - datetime.timedelta(days=3)
    other.save()
    sent = reminders.send_reminders(today=today)
    assert sent == {"due_soon": 1, "overdue": 1}
    assert sorted(m.to[0] for m in mail.outbox) == ["jy@example.gov.cn", "kj@example.gov.cn"]
    assert reminders.send_reminders(today=today) == {"due_soon": 0, "overdue": 0}
    assert len(mail.outbox) == 2
    assert Reminder.objects.count() == 2
    reminders.send_reminders(today=today + datetime.timedelta(days=1))
    assert len(mail.outbox) == 4


def test_rollup_arithmetic_on_dashboard(client, world):
    own = world["own"]
    second = factories.CommitmentFactory(reply=own["reply"], owner=own["department"], number=9)
    progress.post_update(commitment=second, status=CommitmentStatus.FULFILLED)  # no targets → 100
    own["target"].achieved = 10  # 10 of 20 → 50
    own["target"].save()
    progress.refresh_commitment(commitment=own["item"])
    proposal = own["proposal"]
    proposal.reply_due = datetime.date(2021, 7, 31)
    proposal.save()
    rating.rate_reply(reply=own["reply"], satisfaction="basically")
    response = client.get(reverse("portal:dashboard"), {"department": own["department"].pk})
    row = next(r for r in response.context["by_department"] if r["key"] == own["department"].pk)
    assert row["commitments"] == 2
    assert row["progress"] == 75
    assert row["on_time_rate"] == 100.0
    assert row["satisfaction_rate"] == 100.0
    assert row["statuses"]["fulfilled"] == 1


def test_dashboard_hides_drafts_from_everyone(client, world):
    """The dashboard counts published replies only, for every role: draft figures are the
    office's, in the admin."""
    publication.withdraw_reply(reply=world["other"]["reply"], reason="测试：撤回", actor=None)
    for role in (None, "office", "clerk", "member"):
        if role:
            client.force_login(world["users"][role])
        response = client.get(reverse("portal:dashboard"))
        keys = {row["key"] for row in response.context["by_department"]}
        assert world["other"]["department"].pk not in keys, role


def test_dashboard_groups_by_committee_then_by_session(client, world):
    own = world["own"]["proposal"]
    other = world["other"]["proposal"]
    response = client.get(reverse("portal:dashboard"))
    assert response.context["group"] == "committee"
    keys = {row["key"] for row in response.context["by_group"]}
    assert keys == {own.session.committee_id, other.session.committee_id}
    response = client.get(reverse("portal:dashboard"), {"committee": own.session.committee_id})
    assert response.context["group"] == "session"
    assert {row["key"] for row in response.context["by_group"]} == {own.session_id}
    # Only the chosen committee's sessions are offered.
    assert set(response.context["sessions"]) == set(own.session.committee.sessions.all())
    # A session of another committee does not widen or confuse the scope.
    response = client.get(
        reverse("portal:dashboard"),
        {"committee": own.session.committee_id, "session": other.session_id},
    )
    assert response.context["session"] is None
    assert {row["key"] for row in response.context["by_group"]} == {own.session_id}


def test_dashboard_shows_the_busiest_departments_and_the_csv_all(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "TOP_DEPARTMENTS", 1)
    extra = factories.CommitmentFactory(
        reply=world["own"]["reply"], owner=world["own"]["department"], number=7
    )
    assert extra.pk
    response = client.get(reverse("portal:dashboard"))
    assert [row["key"] for row in response.context["by_department"]] == [
        world["own"]["department"].pk
    ]
    assert response.context["department_count"] == 2
    assert "显示承诺最多的 1 个承办单位（共 2 个）" in response.content.decode()
    # The department choice lists only what the table shows (bounded), plus a chosen one.
    assert [d.pk for d in response.context["departments"]] == [world["own"]["department"].pk]
    csv = client.get(reverse("portal:dashboard-csv", args=["departments"])).content.decode()
    assert "临沂市科学技术局" in csv and "临沂市教育局" in csv


def test_dashboard_cache_follows_writes(client, world):
    """The roll-ups are cached, and any write shows at once."""
    first = client.get(reverse("portal:dashboard")).context["totals"]["commitments"]
    publication.create_commitment(
        commitment=factories.CommitmentFactory.build(
            reply=world["own"]["reply"], owner=world["own"]["department"], number=8
        )
    )
    second = client.get(reverse("portal:dashboard")).context["totals"]["commitments"]
    assert second == first + 1
    publication.withdraw_reply(reply=world["own"]["reply"], reason="测试：撤回", actor=None)
    third = client.get(reverse("portal:dashboard")).context["totals"]["commitments"]
    assert third == first - 1


@pytest.mark.parametrize(
    "url", ["/dashboard/", "/dashboard/sessions.csv", "/dashboard/overdue.csv", "/me/"]
)
def test_oversight_pages_run_constant_queries(client, world, url):
    client.force_login(world["users"]["member"])

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    few = count()
    for _ in range(4):
        proposal = factories.ProposalFactory()
        proposal.proposers.add(world["users"]["member"].proposer)
        reply = factories.ReplyFactory(proposal=proposal)
        item = factories.CommitmentFactory(reply=reply, due_on=datetime.date(2020, 1, 1))
        factories.TargetFactory(commitment=item)
        progress.post_update(commitment=item, status="in_progress")
    assert count() == few


def test_send_reminders_command_is_idempotent(world, capsys):
    from django.core.management import call_command
    from django.utils import timezone

    item = world["own"]["item"]
    item.due_on = timezone.localdate() + datetime.timedelta(days=3)
    item.save()
    call_command("send_reminders")
    assert "即将到期 1 项" in capsys.readouterr().out
    call_command("send_reminders")
    assert "即将到期 0 项" in capsys.readouterr().out
    assert len(mail.outbox) == 1


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
