"""Progress on commitments: updates, targets' achieved values, and the version check that
refuses a stale edit."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.versioning import bump_public_version
from replies.models import (
    CommitmentItem,
    CommitmentUpdate,
    Reply,
    Target,
)


def latest_update(commitment: CommitmentItem) -> CommitmentUpdate | None:
    return commitment.updates.order_by("-date", "-created_at", "-pk").first()


def refresh_commitment(*, commitment: CommitmentItem) -> CommitmentItem:
    """Recompute the stored status (latest update's) and progress (targets' achievement)."""
    update = latest_update(commitment)
    fields = []
    if update is not None and commitment.status != update.status:
        commitment.status = update.status
        fields.append("status")
    progress = target_progress(list(commitment.targets.all()))
    if progress is None:
        progress = STATUS_PROGRESS.get(commitment.status, 0)
    if progress != commitment.progress:
        commitment.progress = progress
        fields.append("progress")
    if fields:
        fields.append("updated_at")
        commitment.save(update_fields=fields)
    return commitment


# Without targets, the status alone says how far a commitment got.
STATUS_PROGRESS = {"fulfilled": 100, "partial": 50}


def target_progress(targets: list[Target]) -> int | None:
    """Mean achievement of the targets, each capped at 100%; None when there are none."""
    if not targets:
        return None
    return round(sum(target.percent for target in targets) / len(targets))


@transaction.atomic
def post_update(
    *,
    commitment: CommitmentItem,
    status: str,
    date: datetime.date | None = None,
    note: str = "",
    evidence_url: str = "",
    attachment: UploadedFile | None = None,
    author: AbstractBaseUser | None = None,
) -> CommitmentUpdate:
    """Append a progress update; it becomes the commitment's status if it is the latest."""
    # Lock the commitment so two simultaneous updates are applied one after the other.
    commitment = CommitmentItem.objects.select_for_update().get(pk=commitment.pk)
    update = CommitmentUpdate(
        commitment=commitment,
        date=date or timezone.localdate(),
        status=status,
        note=note,
        evidence_url=evidence_url,
        author=author,
    )
    if attachment is not None:
        update.attachment = attachment
    update.full_clean()
    update.save()
    refresh_commitment(commitment=commitment)
    if Reply.objects.filter(pk=commitment.reply_id).published().exists():
        bump_public_version()  # the public page shows the update
    return update


class StaleEditError(ValidationError):
    """Someone else saved the commitment after this editor loaded it."""

    def __init__(self, current: CommitmentItem):
        self.current = current
        super().__init__(
            _(
                "保存失败：这项承诺已被他人在 %(time)s 修改（当前状态“%(status)s”，进度 %(progress)d%%）。"
                "请查看最新内容后重新填写。"
            )
            % {
                "time": timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M:%S"),
                "status": current.get_status_display(),
                "progress": current.progress,
            },
            code="stale",
        )


def lock_version(*, commitment: CommitmentItem, expected_version: int) -> CommitmentItem:
    """Lock the commitment's row, refusing if it changed since the editor loaded it.

    Call inside a transaction before writing: the lock makes a second editor wait and then
    see the new version, so nothing is silently overwritten.
    """
    current = CommitmentItem.objects.select_for_update().get(pk=commitment.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    return current


def claim_version(*, commitment: CommitmentItem, expected_version: int) -> CommitmentItem:
    """``lock_version``, then bump the version for the write that follows."""
    current = lock_version(commitment=commitment, expected_version=expected_version)
    CommitmentItem.objects.filter(pk=current.pk).update(version=current.version + 1)
    current.version += 1
    commitment.version = current.version
    return current


@transaction.atomic
def record_progress(
    *,
    commitment: CommitmentItem,
    expected_version: int,
    status: str,
    date: datetime.date | None = None,
    note: str = "",
    evidence_url: str = "",
    attachment: UploadedFile | None = None,
    achieved: dict[int, Decimal | None] | None = None,
    author: AbstractBaseUser | None = None,
) -> CommitmentUpdate:
    """The staff progress form: targets' achieved values and an update, or nothing at all."""
    claim_version(commitment=commitment, expected_version=expected_version)
    for target in Target.objects.filter(commitment=commitment, pk__in=list(achieved or {})):
        target.achieved = achieved[target.pk]
        target.full_clean()
        target.save(update_fields=["achieved"])
    return post_update(
        commitment=commitment,
        status=status,
        date=date,
        note=note,
        evidence_url=evidence_url,
        attachment=attachment,
        author=author,
    )
