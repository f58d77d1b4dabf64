"""replies.admin: every model's admin pages open, changelists do not grow with the data;
updates are append-only and set the commitment's status; publishing; stale edits; evidence
uploads; the letter import with its preview."""

import datetime

import pytest
from django.contrib import admin
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proposals.models import Proposal
from replies.models import CommitmentItem, CommitmentStatus, CommitmentUpdate, Reply
from replies.services import progress
from tests import factories
from tests.helpers import PDF, preview_form_data

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label == "replies"]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# Written only by the system (the reminder job), never through the admin.
# Written by the system (the reminder job) or from another page (a deadline change is
# asked for on its commitment's page, a revision is made by editing a published reply).
READ_ONLY = {"Reminder", "DeadlineChange", "ReplyRevision"}


def test_every_replies_model_is_registered():
    names = {model.__name__ for model in MODELS}
    assert {"Reply", "CommitmentItem", "Target", "CommitmentUpdate"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_search_and_add_form(admin_client, admin_rows, model):
    admin_rows(2)
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "科技"}).status_code == 200
    expected = 403 if model.__name__ in READ_ONLY else 200
    assert admin_client.get(admin_url(model, "add")).status_code == expected


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


# ---------------------------------------------------------------------------
# Progress updates, publishing, stale edits
# ---------------------------------------------------------------------------


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


def test_office_can_publish_and_proposers_are_emailed(
    client, world, django_capture_on_commit_callbacks
):
    """Publishing is the office's action, and the proposers hear of it the first time."""
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


def test_stale_admin_edit_is_refused(client, world):
    item = world["own"]["item"]
    client.force_login(world["users"]["office"])
    url = admin_url(CommitmentItem, "change", item.pk)
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


# ---------------------------------------------------------------------------
# Evidence uploads
# ---------------------------------------------------------------------------


def test_bad_evidence_is_refused_in_the_admin(client, evidence_world):
    """The admin's add form and the inline on the commitment check uploads the same way."""
    client.force_login(evidence_world["office"])
    item = evidence_world["public"].commitment
    before = CommitmentUpdate.objects.count()
    add = client.post(
        reverse("admin:replies_commitmentupdate_add"),
        {
            "commitment": item.pk,
            "date": "2021-10-01",
            "status": "in_progress",
            "attachment": SimpleUploadedFile("fake.pdf", b"<script>alert(1)</script>"),
        },
    )
    assert add.status_code == 200
    assert "不符" in add.content.decode()
    assert CommitmentUpdate.objects.count() == before
    ok = client.post(
        reverse("admin:replies_commitmentupdate_add"),
        {
            "commitment": item.pk,
            "date": "2021-10-01",
            "status": "in_progress",
            "attachment": SimpleUploadedFile("real.pdf", PDF),
        },
    )
    assert ok.status_code == 302
    created = CommitmentUpdate.objects.latest("pk")
    page = client.get(reverse("admin:replies_commitmentupdate_change", args=[created.pk]))
    assert created.attachment.url in page.content.decode()
    assert reverse("evidence-file", args=[created.attachment.name]) == created.attachment.url


def _commitment_change_data(client, item, upload) -> tuple[str, dict]:
    """The admin change form of ``item`` as loaded, plus one new update with ``upload``."""
    url = reverse("admin:replies_commitmentitem_change", args=[item.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in {
            **{f: form.initial.get(f, "") for f in form.fields},
            "reply": item.reply_id,
            "owner": item.owner_id,
            "loaded_version": item.version,
            "statements": "[]",
        }.items()
        if value is not None
    }
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": management.initial["TOTAL_FORMS"],
                f"{prefix}-INITIAL_FORMS": management.initial["INITIAL_FORMS"],
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
        for index, inline_form in enumerate(formset.formset.forms):
            data[f"{prefix}-{index}-id"] = inline_form.instance.pk
            data[f"{prefix}-{index}-commitment"] = item.pk
    total = int(data["updates-TOTAL_FORMS"])
    data.update(
        {
            "updates-TOTAL_FORMS": total + 1,
            f"updates-{total}-commitment": item.pk,
            f"updates-{total}-date": "2021-10-02",
            f"updates-{total}-status": "in_progress",
            f"updates-{total}-note": "行内附件",
            f"updates-{total}-attachment": upload,
        }
    )
    return url, data


def test_evidence_in_the_commitment_inline_is_checked_too(client, evidence_world):
    """The inline on the commitment refuses a bad file and saves a good one, linked to
    the download view."""
    client.force_login(evidence_world["office"])
    item = evidence_world["public"].commitment
    before = CommitmentUpdate.objects.count()
    url, data = _commitment_change_data(client, item, SimpleUploadedFile("x.docx", b"not a zip"))
    response = client.post(url, data)
    assert response.status_code == 200, response.get("Location")
    assert "不符" in response.content.decode()
    assert CommitmentUpdate.objects.count() == before

    url, data = _commitment_change_data(client, item, SimpleUploadedFile("x.pdf", PDF))
    response = client.post(url, data)
    assert response.status_code == 302
    created = CommitmentUpdate.objects.get(commitment=item, note="行内附件")
    page = client.get(url).content.decode()
    assert f'href="{created.attachment.url}"' in page
    assert created.attachment.url.startswith("/media/evidence/")


# ---------------------------------------------------------------------------
# The letter import, with its preview
# ---------------------------------------------------------------------------


def test_admin_import_round_trip(admin_client, seed_letter):
    """Paste, check the preview, correct it, save. Anything to look at (here a committee
    and a department new to the system) leaves "publish now" unticked until staff tick it."""
    url = reverse("admin:replies_reply_import")
    assert admin_client.get(url).status_code == 200
    preview = admin_client.post(url, {"text": seed_letter, "publish": "on", "preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "关于“实施创新创业载体质量提升行动”" in html
    assert "新增国家级科技企业孵化器3家" in html
    assert "保存时将新建这个委员会" in html and "临沂市政协" in html
    assert preview.context["form"]["publish"].value() is False
    data = preview_form_data(preview)
    data["publish"] = "on"
    data["proposers"] = "王坤、李明"
    data["sections-0-heading"] = "关于加大科技投入（已核对）"
    saved = admin_client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    reply = Reply.objects.get()
    assert reply.is_published
    assert reply.commitments.count() == 5
    assert reply.commitments.get(number=1).heading == "关于加大科技投入（已核对）"
    assert [p.name for p in reply.proposal.proposers.order_by("proposalproposer__position")] == [
        "王坤",
        "李明",
    ]


def test_admin_import_rejects_bad_upload_and_changes_nothing(admin_client):
    url = reverse("admin:replies_reply_import")
    response = admin_client.post(
        url, {"file": SimpleUploadedFile("letter.exe", b"MZ"), "preview": "1"}
    )
    assert response.status_code == 200
    assert "只能上传" in response.content.decode()
    response = admin_client.post(
        url, {"file": SimpleUploadedFile("letter.pdf", b"%PDF-1.4"), "preview": "1"}
    )
    assert response.status_code == 200
    assert "文件已损坏" in response.content.decode()
    response = admin_client.post(url, {"text": "", "preview": "1"})
    assert "请粘贴答复函全文或上传文件" in response.content.decode()
    assert Proposal.objects.count() == 0


# ---------------------------------------------------------------------------
# The commitment changelist's 已逾期 filter and the readable statements
# ---------------------------------------------------------------------------


def test_the_overdue_filter_lists_what_the_queryset_calls_overdue(admin_client):
    reply = factories.ReplyFactory()
    past, future = datetime.date(2020, 1, 1), datetime.date(2099, 1, 1)
    overdue = factories.CommitmentFactory(reply=reply, number=1, heading="逾期事项", due_on=past)
    factories.CommitmentFactory(
        reply=reply, number=2, heading="已完成事项", due_on=past, status="fulfilled"
    )
    factories.CommitmentFactory(reply=reply, number=3, heading="未到期事项", due_on=future)
    url = admin_url(CommitmentItem, "changelist")
    listed = admin_client.get(url, {"overdue": "yes"})
    assert listed.status_code == 200
    assert [item.pk for item in listed.context["cl"].result_list] == [overdue.pk]
    assert list(CommitmentItem.objects.overdue()) == [overdue]
    others = admin_client.get(url, {"overdue": "no"}).context["cl"].result_list
    assert {item.heading for item in others} == {"已完成事项", "未到期事项"}
    assert "是否逾期" in admin_client.get(url).content.decode()


def test_statements_read_as_a_list_not_json(admin_client):
    item = factories.CommitmentFactory(
        statements=[
            {"text": "已完成全市调研。", "modality": "done", "deadline": None},
            {"text": "年底前新增孵化器3家。", "modality": "planned", "deadline": "2025-12-31"},
        ]
    )
    html = admin_client.get(admin_url(CommitmentItem, "change", item.pk)).content.decode()
    assert "<li>已完成全市调研。（已完成）</li>" in html
    assert "<li>年底前新增孵化器3家。（计划，期限 2025-12-31）</li>" in html
    assert '"modality"' not in html and "&quot;modality&quot;" not in html
