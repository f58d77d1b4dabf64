"""Batches of uploaded letters, imported in the background (``replies.tasks``).

``submit`` keeps the files in the database (every web node and worker reads them; no
shared disk) and queues the batch by its id; ``run`` reads each file (OCR for scans,
without the admin's page limit), imports it through ``importer.import_letters`` — atomic
per letter — and deletes the upload in the same transaction, so a letter's file is kept
exactly until it has been imported. A worker that dies part-way leaves the remaining
uploads; the task runs again (acknowledged late) and carries on where it stopped.
"""

import datetime
from collections.abc import Sequence

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import can_publish, department_of, is_office
from proposals.models import Committee
from replies.models import ImportJob, ImportUpload
from replies.parsing import read_letter_bytes
from replies.services.letters.importer import Letter, import_letters

# Uploads of a batch that has not finished after this long are removed (the job is
# marked unfinished): a letter's file is never kept for days.
STALE_AFTER = datetime.timedelta(hours=24)


def submit(
    *,
    files: Sequence[tuple[str, bytes]],
    actor,
    publish: bool,
    committee: Committee | None = None,
    unknown_committee: bool = False,
) -> ImportJob:
    """Store the files and queue their import once the transaction commits. A clerk's
    letters are all filed under the clerk's department; only the office may publish."""
    if not files:
        raise ValueError("a batch needs files")
    department = None if is_office(actor) else department_of(actor)
    if not is_office(actor) and department is None:
        raise PermissionError("only the office and a department's clerks import letters")
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            publish=publish and can_publish(actor),
            committee=committee,
            unknown_committee=unknown_committee,
            department_id=department,
            total=len(files),
        )
        ImportUpload.objects.bulk_create(
            ImportUpload(job=job, position=position, name=name[:255], data=data)
            for position, (name, data) in enumerate(files)
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    import_batch.delay(job_id)


@shared_task(name="replies.tasks.import_batch")
def import_batch(job_id: int) -> None:
    """The task: a batch by its id (never the letters' text), read, OCR'd and imported one
    by one (``run``). Listed with the others in ``replies.tasks``."""
    run(job_id)


def run(job_id: int) -> ImportJob | None:
    """Import what is left of the batch; safe to run twice, or on two workers at once."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return job
        if job.status == ImportJob.Status.QUEUED:
            job.status = ImportJob.Status.RUNNING
            job.started_at = timezone.now()
            job.save(update_fields=["status", "started_at"])
    actor = job.created_by
    if actor is None or not _may_still_import(actor, job):
        return _give_up(job, _("提交人已无导入答复函的权限，未导入的文件已删除。"))
    publish = job.publish and can_publish(actor)
    for upload_id in (
        ImportUpload.objects.filter(job=job).order_by("position").values_list("pk", flat=True)
    ):
        upload = ImportUpload.objects.filter(pk=upload_id).only("name", "data").first()
        if upload is None:
            continue  # another run of the task took it
        # Read (OCR included) outside the transaction: no lock is held for minutes.
        text, warnings = read_letter_bytes(bytes(upload.data), upload.name)
        with transaction.atomic():
            if not ImportUpload.objects.filter(pk=upload_id).delete()[0]:
                continue
            if text is None or not text.strip():
                row = _row(upload.name, "failed", "；".join(warnings) or _("文件没有正文"))
            else:
                [outcome] = import_letters(
                    [Letter(text=text, committee=job.committee, department=job.department)],
                    publish=publish,
                    actor=actor,
                    unnamed_committee=job.unknown_committee,
                )
                result = outcome.result
                row = _row(
                    upload.name,
                    outcome.outcome,
                    outcome.error,
                    warnings=[*warnings, *(result.warnings if result else [])],
                    reply=result.reply.pk if result else None,
                )
            _record(job.pk, row)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not job.finished and not job.uploads.exists():
            job.status = ImportJob.Status.DONE
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "finished_at"])
    return job


def _may_still_import(actor, job: ImportJob) -> bool:
    """The submitter may still import letters as they did (their role or department may
    have changed since): fail closed."""
    if not actor.is_active:
        return False
    if is_office(actor):
        return True
    department = department_of(actor)
    return department is not None and department == job.department_id


def _row(name: str, outcome: str, reason: str = "", *, warnings=(), reply=None) -> dict:
    return {
        "name": name,
        "outcome": outcome,
        "reason": reason,
        "warnings": [str(warning) for warning in warnings],
        "reply": reply,
    }


def _record(job_id: int, row: dict) -> None:
    """Add one letter's outcome to the batch (inside the letter's transaction)."""
    job = ImportJob.objects.select_for_update().only("results").get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(
        processed=F("processed") + 1,
        results=[*job.results, row],
        **{row["outcome"]: F(row["outcome"]) + 1},
    )


def _give_up(job: ImportJob, reason: str) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        for name in job.uploads.order_by("position").values_list("name", flat=True):
            _record(job.pk, _row(name, "failed", reason))
        job.uploads.all().delete()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(), error=reason[:300]
        )
    job.refresh_from_db()
    return job


def remove_stale(*, now: datetime.datetime | None = None) -> int:
    """Batches still unfinished a day after they were submitted (no worker ran them): their
    uploads are deleted and the batch is marked unfinished. Returns how many."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    stale = list(
        ImportJob.objects.filter(
            status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING], created_at__lt=cutoff
        )
    )
    for job in stale:
        _give_up(job, _("超过一天仍未导入，未导入的文件已删除，请重新上传。"))
    return len(stale)
