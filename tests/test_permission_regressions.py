"""Regression tests for what a careful reviewer found leaking (issue 12), each through HTTP:
admin history around department scoping, drafts on the dashboard, scoping that failed
open, and clerks changing another department's data through ordinary forms."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from core import roles
from proposals.models import Clerk, DeadlineExtension, Department, Proposal
from replies.models import CommitmentItem, Reply
from replies.services import publication
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()
SECRET_A = "甲局草稿中的未公开承诺"
SECRET_B = "乙局草稿中的未公开承诺"


def make_user(username, group=None, *, staff=True, department=None):
    user = User.objects.create_user(username, password="pw-123456", is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))
    if department is not None:
        Clerk.objects.create(user=user, department=department)
    return user


@pytest.fixture
def two():
    """Departments A and B, each with a published reply and a draft reply (with
    commitments), and a clerk each; the office."""
    data = {}
    for key, name, secret in (("a", "甲乙市科学技术局", SECRET_A), ("b", "甲乙市教育局", SECRET_B)):
        department = factories.DepartmentFactory(name=name)
        proposal = factories.ProposalFactory(lead_department=department, title=f"{name}办理的提案")
        published = factories.ReplyFactory(proposal=proposal, department=department)
        published_item = factories.CommitmentFactory(reply=published, owner=department)
        draft_proposal = factories.ProposalFactory(lead_department=department)
        draft = factories.ReplyFactory(
            proposal=draft_proposal, department=department, published_at=None, body=secret
        )
        draft_item = factories.CommitmentFactory(reply=draft, owner=department, text=secret)
        data[key] = {
            "department": department,
            "proposal": proposal,
            "draft_proposal": draft_proposal,
            "published": published,
            "published_item": published_item,
            "draft": draft,
            "draft_item": draft_item,
            "clerk": make_user(f"clerk-{key}", roles.CLERK, department=department),
        }
    data["office"] = make_user("office", roles.OFFICE)
    return data


def history_version_url(obj) -> str:
    record = obj.history.order_by("-history_id").first()
    meta = obj._meta
    return reverse(
        f"admin:{meta.app_label}_{meta.model_name}_simple_history", args=[obj.pk, record.pk]
    )


# 1. Admin history bypassed department scoping ------------------------------------------


@pytest.mark.parametrize("kind", ["draft", "draft_item", "published", "published_item"])
def test_a_clerk_cannot_open_another_departments_history(client, two, kind):
    obj = two["b"][kind]
    client.force_login(two["a"]["clerk"])
    meta = obj._meta
    history = reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk])
    assert client.get(history).status_code == 403
    response = client.get(history_version_url(obj))
    assert response.status_code == 403
    assert SECRET_B not in response.content.decode()


def test_a_clerk_cannot_rewrite_another_departments_draft_by_posting_history(client, two):
    draft = two["b"]["draft"]
    client.force_login(two["a"]["clerk"])
    response = client.post(
        history_version_url(draft),
        {
            "proposal": draft.proposal_id,
            "department": two["a"]["department"].pk,
            "role": "answer",
            "body": "改写后的正文",
        },
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.body == SECRET_B
    assert draft.department == two["b"]["department"]


def test_only_the_office_reverts_and_history_does_not_republish(client, two):
    """Reverting is the office's alone; a clerk cannot bring back an old (published)
    version of their own department's withdrawn reply."""
    reply = two["a"]["published"]
    old_version = history_version_url(reply)
    publication.withdraw_reply(reply=reply, reason="测试：撤回", actor=None)
    client.force_login(two["a"]["clerk"])
    assert client.get(old_version).status_code == 200  # their own: they may look
    response = client.post(old_version, {"body": reply.body, "role": "answer"})
    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.is_withdrawn and not reply.is_published


def test_a_deleted_replys_history_is_the_offices_only(client, two):
    draft = two["a"]["draft"]
    url = history_version_url(draft)
    draft_pk = draft.pk
    draft.delete()
    client.force_login(two["a"]["clerk"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "复活", "role": "answer"}).status_code == 403
    assert not Reply.objects.filter(pk=draft_pk).exists()
    client.force_login(two["office"])
    assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_office_reverts_a_commitment_from_history_without_an_error(client, two):
    """As in production, outside any test transaction: the revert runs its stale-edit check
    (a row lock) inside a transaction of its own instead of failing with a server error."""
    item = two["a"]["draft_item"]
    url = history_version_url(item)
    client.force_login(two["office"])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["heading"] = "恢复的小标题"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.heading == "恢复的小标题"


# 2. Drafts on the dashboard ------------------------------------------------------------


@pytest.mark.parametrize("who", ["office", "clerk-a", "nogroup"])
def test_the_dashboard_and_its_csvs_show_no_draft_to_any_staff(client, two, who):
    user = {
        "office": two["office"],
        "clerk-a": two["a"]["clerk"],
        "nogroup": make_user("nogroup"),
    }[who]
    client.force_login(user)
    dashboard = client.get(reverse("portal:dashboard"))
    totals = dashboard.context["totals"]
    assert totals["commitments"] == 2  # the two published commitments
    for table in ("sessions", "departments", "overdue", "oldest"):
        body = client.get(reverse("portal:dashboard-csv", args=[table])).content.decode()
        assert SECRET_A not in body and SECRET_B not in body


# 3. Scoping failed open ------------------------------------------------------------------


def clerk_without_department(two, *, deleted: bool):
    if deleted:
        department = Department.objects.create(name="将被撤销的局")
        clerk = make_user("orphan", roles.CLERK, department=department)
        department.delete()  # deletes the Clerk row with it
        assert not Clerk.objects.filter(user=clerk).exists()
        return clerk
    return make_user("orphan", roles.CLERK)


@pytest.mark.parametrize("deleted", [False, True])
def test_a_clerk_without_a_department_sees_nothing_and_is_told_why(client, two, deleted):
    client.force_login(clerk_without_department(two, deleted=deleted))
    for model in ("reply", "commitmentitem"):
        response = client.get(reverse(f"admin:replies_{model}_changelist"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "没有关联承办单位" in body
        assert response.context["cl"].result_count == 0
    proposals = client.get(reverse("admin:proposals_proposal_changelist"))
    assert proposals.context["cl"].result_count == 0
    for obj in (two["a"]["draft"], two["b"]["published"]):
        url = reverse("admin:replies_reply_change", args=[obj.pk])
        assert client.get(url).status_code == 403
    progress = reverse("portal:progress", args=[two["a"]["published_item"].pk])
    assert client.get(progress).status_code == 403


def test_a_staff_user_in_no_group_sees_no_draft_anywhere(client, two):
    client.force_login(make_user("nogroup"))
    admin_index = client.get(reverse("admin:index"))
    assert admin_index.status_code == 200
    url = reverse("admin:replies_reply_change", args=[two["a"]["draft"].pk])
    assert client.get(url).status_code == 403
    evidence_free = client.get(reverse("portal:mine")).content.decode()
    assert SECRET_A not in evidence_free


# 4. Clerks' writes stay in their department --------------------------------------------


LETTER = """关于市政协十五届五次会议第{number}号提案的答复
张三委员：
您提出的《{title}》收悉，现答复如下：
一、关于加强管理
下一步我们将于2030年底前完成建设。
{agency}
2021年7月9日
"""


def preview_then_save(client, letter: str):
    """The admin import as staff use it: paste, look at the preview, save it unchanged."""
    url = reverse("admin:replies_reply_import")
    preview = client.post(url, {"text": letter, "source_url": ""})
    assert preview.status_code == 200
    form, sections = preview.context["form"], preview.context["sections"]
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    data["publish"] = ""
    for index, section in enumerate(sections.forms):
        for name in section.fields:
            value = section[name].value()
            data[f"sections-{index}-{name}"] = "" if value is None else value
    for name in sections.management_form.fields:
        data[f"sections-{name}"] = sections.management_form[name].value()
    data["save"] = "1"
    return client.post(url, data)


def test_a_clerk_cannot_import_a_letter_for_another_departments_proposal(client, two):
    """A draft import naming another department's proposal is refused, says why, and
    leaves that proposal (its public title too) as it was."""
    from replies.services.letters import importer

    agency_b = two["b"]["department"].name
    result = importer.import_letter(
        text=LETTER.format(number=77, title="乙局的原标题", agency=agency_b)
    )
    proposal = result.proposal
    before = Reply.objects.count()
    client.force_login(two["a"]["clerk"])
    response = preview_then_save(
        client, LETTER.format(number=77, title="被改写的标题", agency=agency_b)
    )
    assert response.status_code == 200
    assert "其他承办单位" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.title == "乙局的原标题"
    assert Reply.objects.count() == before


def test_a_clerk_imports_their_own_letters_as_drafts(client, two):
    client.force_login(two["a"]["clerk"])
    agency_a = two["a"]["department"].name
    response = preview_then_save(
        client, LETTER.format(number=78, title="甲局的提案", agency=agency_a)
    )
    assert response.status_code == 302
    reply = Reply.objects.get(proposal__number="78")
    assert reply.department == two["a"]["department"]
    assert reply.published_at is None


def test_a_clerk_cannot_add_a_reply_to_another_departments_proposal(client, two):
    client.force_login(two["a"]["clerk"])
    response = client.post(
        reverse("admin:replies_reply_add"),
        {
            "proposal": two["b"]["draft_proposal"].pk,
            "department": two["a"]["department"].pk,
            "role": "answer",
            "body": "插入别人的提案",
        },
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "只能选择本单位" in response.content.decode()
    assert not Reply.objects.filter(body="插入别人的提案").exists()


def test_a_clerk_cannot_file_an_extension_on_another_departments_proposal(client, two):
    proposal = two["b"]["proposal"]
    Proposal.objects.filter(pk=proposal.pk).update(reply_due=datetime.date(2030, 1, 1))
    client.force_login(two["a"]["clerk"])
    response = client.post(
        reverse("admin:proposals_deadlineextension_add"),
        {"proposal": proposal.pk, "new_due": "2030-06-01", "reason": "别人的提案"},
    )
    assert response.status_code == 200
    assert "只能选择本单位" in response.content.decode()
    assert not DeadlineExtension.objects.filter(proposal=proposal).exists()


def test_a_clerk_cannot_create_a_commitment_owned_by_another_department(client, two):
    client.force_login(two["a"]["clerk"])
    response = client.post(
        reverse("admin:replies_commitmentitem_add"),
        {
            "reply": two["a"]["draft"].pk,
            "number": 9,
            "text": "替乙局承诺",
            "owner": two["b"]["department"].pk,
            "statements": "[]",
            "targets-TOTAL_FORMS": 0,
            "targets-INITIAL_FORMS": 0,
            "updates-TOTAL_FORMS": 0,
            "updates-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "只能选择本单位" in response.content.decode()
    assert not CommitmentItem.objects.filter(text="替乙局承诺").exists()
