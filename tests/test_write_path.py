"""Regression tests for the write path (issue 13), each through HTTP where a user would go:
deadlines that moved silently, publication by several roads, stale edits half refused,
and deleted or withdrawn content that stayed public."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from core import roles
from core.versioning import public_version
from proposals.models import Clerk, DeadlineExtension, Proposal
from replies.models import CommitmentItem, DeadlineChange, Reply, ReplyRevision
from replies.services import deadlines, publication
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()


def make_user(username, group=None, *, department=None):
    user = User.objects.create_user(username, password="pw-123456", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    if department is not None:
        Clerk.objects.create(user=user, department=department)
    return user


@pytest.fixture
def world():
    department = factories.DepartmentFactory(name="丁市住房和城乡建设局")
    proposal = factories.ProposalFactory(lead_department=department, title="丁市的提案")
    reply = factories.ReplyFactory(
        proposal=proposal,
        department=department,
        body="原答复正文：将于2031年建成。",
        published_at=None,
    )
    item = factories.CommitmentFactory(
        reply=reply, owner=department, heading="建设公园", due_on=datetime.date(2031, 6, 30)
    )
    publication.publish_reply(reply=reply)
    item.refresh_from_db()
    return {
        "department": department,
        "proposal": proposal,
        "reply": reply,
        "item": item,
        "clerk": make_user("clerk", roles.CLERK, department=department),
        "office": make_user("office", roles.OFFICE),
    }


def change_data(client, url: str) -> dict:
    """The change form's current values, as a browser would post them back."""
    page = client.get(url)
    assert page.status_code == 200
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for index, inline in enumerate(formset.formset.forms):
            for name in inline.fields:
                value = inline[name].value()
                data[f"{formset.formset.prefix}-{index}-{name}"] = "" if value is None else value
    return data


# 1. Deadlines moved silently ------------------------------------------------------------


def test_a_clerk_cannot_move_a_published_due_date_from_the_change_form(client, world):
    item = world["item"]
    client.force_login(world["clerk"])
    url = reverse("admin:replies_commitmentitem_change", args=[item.pk])
    data = change_data(client, url)
    assert "due_on" not in data  # no form field writes a due date
    data["due_on"] = "2021-01-01"
    client.post(url, data)
    item.refresh_from_db()
    assert item.due_on == datetime.date(2031, 6, 30)
    page = client.get(item.reply.proposal.get_absolute_url())
    assert "2031年6月30日" in page.content.decode()


def test_a_published_due_date_moves_only_by_an_approved_request_and_shows_both(client, world):
    item = world["item"]
    client.force_login(world["clerk"])
    deadline_url = reverse("admin:replies_commitmentitem_deadline", args=[item.pk])
    response = client.post(
        deadline_url, {"version": item.version, "new_due": "2032-12-31", "reason": "用地审批延后"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.due_on == datetime.date(2031, 6, 30)  # not yet: a request
    change = DeadlineChange.objects.get(commitment=item)
    assert change.status == "pending"
    public = Client()
    assert "2032" not in public.get(item.reply.proposal.get_absolute_url()).content.decode()

    # A clerk cannot approve it; the office does, from the requests list.
    changelist = reverse("admin:replies_deadlinechange_changelist")
    client.post(changelist, {"action": "approve", "_selected_action": [change.pk]})
    change.refresh_from_db()
    assert change.status == "pending"
    client.force_login(world["office"])
    client.post(changelist, {"action": "approve", "_selected_action": [change.pk]})
    change.refresh_from_db()
    item.refresh_from_db()
    assert change.status == "approved"
    assert item.due_on == datetime.date(2032, 12, 31)
    assert item.promised_on == datetime.date(2031, 6, 30)
    html = public.get(item.reply.proposal.get_absolute_url()).content.decode()
    assert "原承诺期限" in html and "2031年6月30日" in html and "2032年12月31日" in html
    assert "用地审批延后" in html and "批准：提案委" in html
    assert world["office"].username not in html
    # Overdue is judged against the approved date.
    assert not CommitmentItem.objects.overdue(datetime.date(2032, 1, 1)).filter(pk=item.pk)
    assert CommitmentItem.objects.overdue(datetime.date(2033, 1, 1)).filter(pk=item.pk)


def test_an_earlier_date_needs_the_office_to_say_so(world):
    change = deadlines.request_change(
        commitment=world["item"],
        new_due=datetime.date(2030, 1, 1),
        reason="提前完工",
        actor=world["office"],
    )
    with pytest.raises(Exception, match="允许提前"):
        deadlines.approve_change(change=change, actor=world["office"])
    deadlines.approve_change(change=change, actor=world["office"], allow_earlier=True)
    world["item"].refresh_from_db()
    assert world["item"].due_on == datetime.date(2030, 1, 1)


def test_a_clerk_cannot_request_an_earlier_date(world):
    with pytest.raises(Exception, match="必须晚于"):
        deadlines.request_change(
            commitment=world["item"],
            new_due=datetime.date(2030, 1, 1),
            reason="提前",
            actor=world["clerk"],
        )


def test_a_proposal_extension_to_an_earlier_date_is_refused(client, world):
    proposal = world["proposal"]
    Proposal.objects.filter(pk=proposal.pk).update(
        assigned_on=datetime.date(2031, 1, 1), reply_due=datetime.date(2031, 4, 1)
    )
    client.force_login(world["clerk"])
    response = client.post(
        reverse("admin:proposals_deadlineextension_add"),
        {"proposal": proposal.pk, "new_due": "2031-02-01", "reason": "提前"},
    )
    assert response.status_code == 200
    assert "必须晚于现在的答复期限" in response.content.decode()
    assert not DeadlineExtension.objects.filter(proposal=proposal).exists()


# 2. Publication by several roads --------------------------------------------------------


def test_no_admin_form_writes_the_publication_time(client, world):
    draft = factories.ReplyFactory(
        proposal=world["proposal"], department=world["department"], published_at=None
    )
    client.force_login(world["office"])
    url = reverse("admin:replies_reply_change", args=[draft.pk])
    data = change_data(client, url)
    assert "published_at" not in data
    data["published_at_0"] = "2020-01-01"
    data["published_at"] = "2020-01-01 10:00"
    client.post(url, data)
    draft.refresh_from_db()
    assert draft.published_at is None


def test_the_proposal_page_lists_replies_read_only(client, world):
    client.force_login(world["office"])
    url = reverse("admin:proposals_proposal_change", args=[world["proposal"].pk])
    data = change_data(client, url)
    assert not any(name.startswith("replies-") and name.endswith("published_at") for name in data)


def test_a_clerks_edit_of_a_published_reply_waits_for_the_office(client, world):
    reply = world["reply"]
    client.force_login(world["clerk"])
    url = reverse("admin:replies_reply_change", args=[reply.pk])
    data = change_data(client, url)
    data["body"] = "改动后的答复正文：不再建设。"
    client.post(url, data)
    reply.refresh_from_db()
    assert reply.body.startswith("原答复正文")
    public = Client()
    assert "不再建设" not in public.get(reply.proposal.get_absolute_url()).content.decode()
    revision = ReplyRevision.objects.get(reply=reply, status="pending")

    client.force_login(world["office"])
    page = client.get(reverse("admin:replies_replyrevision_change", args=[revision.pk]))
    assert "原答复正文" in page.content.decode() and "不再建设" in page.content.decode()
    client.post(
        reverse("admin:replies_replyrevision_changelist"),
        {"action": "publish", "_selected_action": [revision.pk]},
    )
    reply.refresh_from_db()
    assert reply.body == "改动后的答复正文：不再建设。"
    assert "不再建设" in public.get(reply.proposal.get_absolute_url()).content.decode()


def test_publishing_is_now_and_enters_the_search_index(client, world):
    draft = factories.ReplyFactory(
        proposal=factories.ProposalFactory(lead_department=world["department"]),
        department=world["department"],
        published_at=None,
        body="独一无二的检索词琥珀湾",
    )
    before = timezone.now()
    publication.publish_reply(reply=draft, actor=world["office"])
    draft.refresh_from_db()
    assert before <= draft.published_at <= timezone.now()
    page = Client().get(reverse("portal:search"), {"q": "琥珀湾"})
    assert draft.proposal.title in page.content.decode()


# 3. Stale edits only partly refused ----------------------------------------------------


def test_an_edit_without_the_version_is_refused(client, world):
    item = world["item"]
    client.force_login(world["office"])
    url = reverse("admin:replies_commitmentitem_change", args=[item.pk])
    data = change_data(client, url)
    del data["loaded_version"]
    data["heading"] = "没有版本号的修改"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "缺少版本信息" in response.content.decode()
    item.refresh_from_db()
    assert item.heading == "建设公园"


def test_the_reply_page_does_not_edit_commitments(client, world):
    client.force_login(world["office"])
    url = reverse("admin:replies_reply_change", args=[world["reply"].pk])
    data = change_data(client, url)
    assert not any(name.startswith("commitments-0-due_on") for name in data)
    assert not any(name.startswith("commitments-0-heading") for name in data)


# 4. Deleted or withdrawn content stayed public -----------------------------------------


def test_a_published_reply_cannot_be_deleted(client, world):
    client.force_login(world["office"])
    url = reverse("admin:replies_reply_delete", args=[world["reply"].pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Reply.objects.filter(pk=world["reply"].pk).exists()
    client.post(
        reverse("admin:replies_reply_changelist"),
        {"action": "delete_selected", "_selected_action": [world["reply"].pk], "post": "yes"},
    )
    assert Reply.objects.filter(pk=world["reply"].pk).exists()


def test_after_withdrawal_another_node_shows_the_notice_at_once_and_never_304(client, world):
    """Two nodes, each with a cache of its own warmed before the withdrawal: right after
    the office's response, the other node answers 410 with the notice, without the text,
    and a conditional request from a browser holding the old page gets it too."""
    proposal_url = world["proposal"].get_absolute_url()
    node_b = override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "node-b",
            }
        }
    )
    browser = Client()
    first = browser.get(proposal_url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    with node_b:
        assert Client().get(proposal_url).status_code == 200  # node B has it cached
    client.force_login(world["office"])
    response = client.post(
        reverse("admin:replies_reply_changelist"),
        {
            "action": "withdraw",
            "_selected_action": [world["reply"].pk],
            "reason": "内容有误，重新答复",
        },
    )
    assert response.status_code == 302
    with node_b:
        page = Client().get(proposal_url)
        conditional = browser.get(
            proposal_url, HTTP_IF_NONE_MATCH=etag, HTTP_IF_MODIFIED_SINCE=modified
        )
    for answer in (page, conditional):
        assert answer.status_code == 410
        html = answer.content.decode()
        assert "撤回" in html and "内容有误，重新答复" in html
        assert "原答复正文" not in html
    for url in (reverse("portal:home"), reverse("portal:search"), reverse("portal:feed")):
        assert "原答复正文" not in Client().get(url).content.decode()
    found = Client().get(reverse("portal:search"), {"q": "原答复正文"}).content.decode()
    assert proposal_url not in found


def test_a_draft_change_does_not_move_the_public_version(world):
    before = public_version()
    draft = factories.ReplyFactory(
        proposal=world["proposal"], department=world["department"], published_at=None
    )
    publication.edit_reply(reply=draft, changes={"body": "草稿改动"}, actor=world["clerk"])
    assert public_version() == before
    publication.edit_reply(
        reply=world["reply"], changes={"title": "新的标题"}, actor=world["office"]
    )
    assert public_version()[0] > before[0]


def test_last_modified_never_goes_back(client, world):
    first = Client().get(world["proposal"].get_absolute_url())
    publication.withdraw_reply(reply=world["reply"], reason="撤回", actor=world["office"])
    publication.publish_reply(reply=world["reply"], actor=world["office"])
    second = Client().get(world["proposal"].get_absolute_url())
    from django.utils.http import parse_http_date

    assert parse_http_date(second["Last-Modified"]) >= parse_http_date(first["Last-Modified"])
    assert second["ETag"] != first["ETag"]
