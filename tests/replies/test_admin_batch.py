"""The admin's batch import: upload many letters, watch them imported in the background."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import roles
from replies.models import ImportJob, ImportUpload, Reply
from tests.conftest import make_user
from tests.helpers import count_queries, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_client(client):
    client.force_login(make_user("batch-admin", roles.OFFICE))
    return client


def upload(path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), "text/plain")


def test_upload_many_letters_then_see_each_outcome(
    office_client, samples_dir, django_capture_on_commit_callbacks
):
    paths = sorted((samples_dir / "letters").glob("*.txt"))[:2]
    with django_capture_on_commit_callbacks(execute=True):
        response = office_client.post(
            reverse("admin:replies_reply_import_batch"),
            {
                "files": [upload(path) for path in paths],
                "unknown_committee": "on",
                "publish": "on",
            },
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:replies_reply_import_job", args=[job.pk])
    page = text(office_client.get(response["Location"]))
    assert "已完成" in page and "已处理 2 / 2 个文件" in page
    for path in paths:
        assert path.name in page
    for reply in Reply.objects.all():
        assert reverse("admin:replies_reply_change", args=[reply.pk]) in page
    assert 'http-equiv="refresh"' not in page  # finished: the page stops reloading
    listing = text(office_client.get(reverse("admin:replies_reply_import_batch")))
    assert "新导入 2" in listing


def test_a_running_batch_reloads_itself(office_client):
    user = make_user("batch-runner", roles.OFFICE)
    job = ImportJob.objects.create(created_by=user, total=4, processed=1)
    page = office_client.get(reverse("admin:replies_reply_import_job", args=[job.pk]))
    assert 'http-equiv="refresh"' in page.content.decode()
    assert "25%" in text(page)


def test_a_refused_file_type_stores_nothing(office_client):
    response = office_client.post(
        reverse("admin:replies_reply_import_batch"),
        {"files": [SimpleUploadedFile("病毒.exe", b"MZ...", "application/octet-stream")]},
    )
    assert response.status_code == 200
    assert "病毒.exe：文件类型不支持。" in text(response)
    assert not ImportJob.objects.exists() and not ImportUpload.objects.exists()


def test_no_file_is_a_clear_message(office_client):
    response = office_client.post(reverse("admin:replies_reply_import_batch"), {})
    assert "请选择要导入的答复函文件。" in text(response)
    assert not ImportJob.objects.exists()


def test_the_pages_run_few_queries(office_client, uncached):
    user = make_user("batch-other", roles.OFFICE)
    for _ in range(5):
        job = ImportJob.objects.create(created_by=user, total=1, processed=1)
    assert count_queries(office_client, reverse("admin:replies_reply_import_batch")) <= 10
    assert (
        count_queries(office_client, reverse("admin:replies_reply_import_job", args=[job.pk])) <= 10
    )
