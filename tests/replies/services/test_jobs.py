"""replies.services.letters.jobs and replies.tasks.import_batch: batches of uploaded
letters imported in the background, kept only until imported."""

import datetime

import pytest
from django.utils import timezone

from core import roles
from replies.models import ImportJob, ImportUpload, Reply
from replies.services.letters import jobs
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def letters(samples_dir, count: int) -> list[tuple[str, bytes]]:
    paths = sorted((samples_dir / "letters").glob("*.txt"))[:count]
    return [(path.name, path.read_bytes()) for path in paths]


@pytest.fixture
def office(db):
    return make_user("batch-office", roles.OFFICE)


def submit(capture, **options) -> ImportJob:
    """Submit and run the batch as a worker would: the task is queued on commit and runs
    eagerly here (CELERY_TASK_ALWAYS_EAGER without REDIS_URL)."""
    with capture(execute=True):
        job = jobs.submit(**options)
    job.refresh_from_db()
    return job


def test_a_batch_imports_every_letter_and_keeps_no_upload(
    office, samples_dir, django_capture_on_commit_callbacks
):
    files = letters(samples_dir, 3)
    job = submit(
        django_capture_on_commit_callbacks,
        files=files,
        actor=office,
        publish=True,
        unknown_committee=True,
    )
    assert job.status == ImportJob.Status.DONE
    assert (job.total, job.processed, job.imported, job.failed) == (3, 3, 3, 0)
    assert [row["name"] for row in job.results] == [name for name, _data in files]
    assert not ImportUpload.objects.exists()
    replies = Reply.objects.filter(pk__in=[row["reply"] for row in job.results])
    assert replies.count() == 3
    assert all(reply.published_at is not None for reply in replies)


def test_a_bad_file_fails_alone_with_its_reason(
    office, samples_dir, django_capture_on_commit_callbacks
):
    files = [("坏文件.pdf", b"%PDF-1.4 not really"), *letters(samples_dir, 1), ("空.txt", b"  ")]
    job = submit(
        django_capture_on_commit_callbacks,
        files=files,
        actor=office,
        publish=False,
        unknown_committee=True,
    )
    outcomes = {row["name"]: row for row in job.results}
    assert outcomes["坏文件.pdf"]["outcome"] == "failed" and outcomes["坏文件.pdf"]["reason"]
    assert outcomes["空.txt"]["outcome"] == "failed"
    assert (job.imported, job.failed, job.status) == (1, 2, ImportJob.Status.DONE)
    assert Reply.objects.get().published_at is None  # a draft: publish was not asked
    assert not ImportUpload.objects.exists()


def test_running_twice_imports_nothing_twice(
    office, samples_dir, django_capture_on_commit_callbacks
):
    job = submit(
        django_capture_on_commit_callbacks,
        files=letters(samples_dir, 2),
        actor=office,
        publish=True,
        unknown_committee=True,
    )
    before = Reply.objects.count()
    jobs.run(job.pk)  # a redelivered message
    job.refresh_from_db()
    assert Reply.objects.count() == before == 2
    assert (job.processed, job.imported) == (2, 2)


def test_a_clerks_batch_is_their_departments_and_stays_draft(
    world, samples_dir, django_capture_on_commit_callbacks
):
    clerk = world["users"]["clerk"]
    job = submit(
        django_capture_on_commit_callbacks,
        files=letters(samples_dir, 2),
        actor=clerk,
        publish=True,  # a clerk may not publish: saved as drafts
        unknown_committee=True,
    )
    assert job.department == world["own"]["department"] and not job.publish
    made = Reply.objects.filter(pk__in=[row["reply"] for row in job.results if row["reply"]])
    assert made.exists()
    assert {reply.department_id for reply in made} == {world["own"]["department"].pk}
    assert all(reply.published_at is None for reply in made)
    assert list(ImportJob.objects.visible_to(clerk)) == [job]
    assert not ImportJob.objects.visible_to(world["users"]["member"]).exists()


def test_a_submitter_who_lost_the_right_imports_nothing(world, samples_dir):
    clerk = world["users"]["clerk"]
    job = jobs.submit(files=letters(samples_dir, 2), actor=clerk, publish=False)
    clerk.clerk.delete()  # no longer the department's clerk before a worker ran it
    before = Reply.objects.count()
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.failed == 2
    assert Reply.objects.count() == before
    assert not ImportUpload.objects.exists()


def test_uploads_of_a_batch_no_worker_ran_are_removed_after_a_day(office, samples_dir):
    job = jobs.submit(files=letters(samples_dir, 2), actor=office, publish=False)
    assert ImportUpload.objects.filter(job=job).count() == 2
    assert jobs.remove_stale(now=timezone.now()) == 0
    assert jobs.remove_stale(now=timezone.now() + datetime.timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.error
    assert not ImportUpload.objects.exists()
    assert not Reply.objects.exists()
