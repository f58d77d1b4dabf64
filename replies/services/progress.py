"""Progress on commitments: updates (one, or many at once), targets' achieved values, and
the version check that refuses a stale edit."""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bulk import update_rows
from replies.models import (
    CommitmentItem,
    CommitmentUpdate,
    Reply,
    Target,
)
from replies.services import notifications, rollups


def latest_update(commitment: CommitmentItem) -> CommitmentUpdate | None:
    return commitment.updates.order_by("-date", "-created_at", "-pk").first()


def refresh_commitment(*, commitment: CommitmentItem) -> CommitmentItem:
    """Recompute the stored status (latest update's) and progress (targets' achievement)."""
    update = latest_update(commitment)
    fields = _derive(
        commitment,
        latest_status=update.status if update is not None else None,
        targets=list(commitment.targets.all()),
    )
    if fields:
        commitment.save(update_fields=[*fields, "updated_at"])
    return commitment


def _derive(
    commitment: CommitmentItem, *, latest_status: str | None, targets: list[Target]
) -> list[str]:
    """Set the status (the latest update's, if any) and the progress (the targets', else the
    status's) on ``commitment``; the names of the fields that changed."""
    fields = []
    if latest_status is not None and commitment.status != latest_status:
        commitment.status = latest_status
        fields.append("status")
    progress = target_progress(targets)
    if progress is None:
        progress = STATUS_PROGRESS.get(commitment.status, 0)
    if progress != commitment.progress:
        commitment.progress = progress
        fields.append("progress")
    return fields


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
    _notify_on_commit([commitment.pk])
    if Reply.objects.filter(pk=commitment.reply_id).published().exists():
        rollups.public_change(commitments=[commitment.pk])  # the public page shows it
    return update


@dataclass(frozen=True)
class ProgressUpdate:
    """One update for ``post_updates``: what ``post_update`` takes (no attachment), with the
    achieved values it reports for the commitment's targets (target id → value, None to
    clear one), as the staff form's ``record_progress`` sets them."""

    commitment_id: int
    status: str
    date: datetime.date
    note: str = ""
    evidence_url: str = ""
    author: AbstractBaseUser | None = None
    achieved: Mapping[int, Decimal | None] = field(default_factory=dict)


@transaction.atomic
def post_updates(updates: Sequence[ProgressUpdate]) -> list[CommitmentUpdate]:
    """Many progress updates at once (a data load, a department's batch report): what
    ``post_update`` does for each, in a few queries for all of them.

    All or nothing: an update that ``post_update`` would refuse (a status that is not one,
    a bad link, an unknown commitment), or an achieved value for a target of another
    commitment or below zero, refuses the whole batch with a ``ValidationError`` naming it.
    The commitments are locked (in id order, so two batches wait rather than deadlock);
    the targets' values are set in the order given, the updates appended, then each
    commitment's status and progress recomputed by the rule ``refresh_commitment`` keeps,
    and the public-data version bumped once if any of them is public.
    """
    if not updates:
        return []
    ids = sorted({update.commitment_id for update in updates})
    commitments = {
        item.pk: item
        for item in CommitmentItem.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    targets: dict[int, Target] = {
        target.pk: target for target in Target.objects.filter(commitment_id__in=ids)
    }
    rows, changed_targets = [], {}
    for position, update in enumerate(updates, 1):
        if update.commitment_id not in commitments:
            raise _refused(position, _("没有这项承诺（%(id)s）。") % {"id": update.commitment_id})
        row = CommitmentUpdate(
            commitment_id=update.commitment_id,
            date=update.date,
            status=update.status,
            note=update.note,
            evidence_url=update.evidence_url,
            author=update.author,
        )
        try:
            # Field checks only: choices, lengths and the link; the table's check
            # constraint holds the status, and checking it through Django costs a query.
            row.clean_fields(exclude=["commitment", "author", "attachment"])
        except ValidationError as error:
            raise _refused(position, "；".join(error.messages)) from error
        for target_id, value in update.achieved.items():
            target = targets.get(target_id)
            if target is None or target.commitment_id != update.commitment_id:
                raise _refused(position, _("指标（%(id)s）不属于这项承诺。") % {"id": target_id})
            if value is not None and value < 0:
                raise _refused(position, _("已完成值不能小于零。"))
            target.achieved = value
            try:
                target.clean_fields(exclude=["commitment"])
            except ValidationError as error:
                raise _refused(position, "；".join(error.messages)) from error
            changed_targets[target_id] = target
        rows.append(row)
    update_rows(list(changed_targets.values()), ["achieved"])
    CommitmentUpdate.objects.bulk_create(rows, batch_size=500)
    _refresh_commitments(commitments.values(), targets.values())
    _notify_on_commit(ids)
    replies = {item.reply_id for item in commitments.values()}
    if Reply.objects.filter(pk__in=replies).published().exists():
        rollups.public_change(commitments=ids)  # the public pages show the updates
    return rows


def _notify_on_commit(commitment_ids: list[int]) -> None:
    """The proposers who asked for it hear of the update once it is saved for good (a
    rolled-back update mails nobody)."""
    transaction.on_commit(lambda: notifications.notify_proposers_of_updates(commitment_ids))


def _refused(position: int, reason) -> ValidationError:
    return ValidationError(
        _("第%(position)d条进展更新未能保存：%(reason)s")
        % {"position": position, "reason": reason},
        code="invalid",
    )


def _refresh_commitments(items: Iterable[CommitmentItem], targets: Iterable[Target]) -> None:
    """``refresh_commitment`` for many commitments: two reads, then the changed ones written
    with their history rows."""
    items = list(items)
    latest = CommitmentUpdate.objects.filter(commitment=OuterRef("pk")).order_by(
        "-date", "-created_at", "-pk"
    )
    statuses = dict(
        CommitmentItem.objects.filter(pk__in=[item.pk for item in items])
        .annotate(latest_status=Subquery(latest.values("status")[:1]))
        .values_list("pk", "latest_status")
    )
    by_commitment: dict[int, list[Target]] = {}
    for target in targets:
        by_commitment.setdefault(target.commitment_id, []).append(target)
    now = timezone.now()
    changed = []
    for item in items:
        if _derive(
            item, latest_status=statuses.get(item.pk), targets=by_commitment.get(item.pk, [])
        ):
            item.updated_at = now
            changed.append(item)
    if changed:
        update_rows(changed, ["status", "progress", "updated_at"])
        CommitmentItem.history.bulk_history_create(changed, update=True, batch_size=500)


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
