"""portal.views.staff: posting progress on a commitment, evidence uploads included."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from replies.models import CommitmentUpdate
from replies.services import progress
from tests.helpers import PDF, PNG

pytestmark = pytest.mark.django_db


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


def _progress_post(client, update_pk_owner, upload):
    item = update_pk_owner
    return client.post(
        reverse("portal:progress", args=[item.pk]),
        {
            "version": item.version,
            "date": "2021-10-01",
            "status": "in_progress",
            "note": "附件",
            "attachment": upload,
        },
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.exe", b"MZ\x90\x00", "只能上传"),
        ("page.html", b"<script>alert(1)</script>", "只能上传"),
        ("fake.pdf", b"<html><script>alert(1)</script></html>", "不符"),
        ("fake.png", PDF, "不符"),
        ("nul.txt", b"abc\x00def", "不符"),
        ("latin.txt", b"\xff\xfe\xfd\xfc" * 10, "不符"),
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "10 MB"),
    ],
)
def test_bad_evidence_is_refused_on_the_progress_page(
    client, evidence_world, name, content, message
):
    client.force_login(evidence_world["office"])
    item = evidence_world["public"].commitment
    before = CommitmentUpdate.objects.count()
    response = _progress_post(client, item, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert CommitmentUpdate.objects.count() == before


@pytest.mark.parametrize(
    ("name", "content"),
    [("证明.pdf", PDF), ("照片.png", PNG), ("说明.txt", "中文说明".encode("gb18030"))],
)
def test_good_evidence_is_stored_under_media(client, evidence_world, media, name, content):
    client.force_login(evidence_world["office"])
    item = evidence_world["public"].commitment
    response = _progress_post(client, item, SimpleUploadedFile(name, content))
    assert response.status_code == 302
    update = CommitmentUpdate.objects.get(commitment=item, note="附件")
    assert Path(update.attachment.path).is_relative_to(media)
    assert Path(update.attachment.path).read_bytes() == content
    page = client.get(reverse("portal:progress", args=[item.pk]))
    assert update.attachment.url in page.content.decode()
