"""Publication: publishing, withdrawing and revising replies, and every edit of a reply or
of its commitments and targets made by staff. The admin calls these; nothing else writes
``published_at``, a withdrawal, or the text of a published reply.

- A draft is edited freely (its history keeps every version) and deleted if need be.
- Publishing is now (no future times) and records the date each commitment promises.
- A published reply is never deleted: the proposal office withdraws it with a reason,
  which the proposal's page shows in its place.
- A correction to a published (or withdrawn) reply by a department clerk is a pending
  revision; the office sees it as a diff and publishes it here. The office's own
  corrections apply at once.

Every change to what the public sees reindexes the proposal and bumps the public-data
version in the same transaction.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.roles import is_office
from replies.models import CommitmentItem, Reply, ReplyRevision, Target
from replies.services import privacy, repeats, rollups
from replies.services.class_check import fill_class_check
from replies.services.indexing import reindex_proposals
from replies.services.notifications import notify_proposers_of_reply
from replies.services.progress import claim_version, refresh_commitment

# What a revision may change: the letter's text and particulars, and each commitment's
# text. Due dates change through the deadline service, status and progress through
# progress updates, publication here.
REPLY_FIELDS = (
    "title",
    "doc_number",
    "index_number",
    "letter_date",
    "body",
    "classification",
    "source_url",
    "role",
)
COMMITMENT_FIELDS = ("number", "marker", "heading", "text", "statements", "topic", "owner")


def _history_user(obj, actor) -> None:
    if actor is not None and getattr(actor, "is_authenticated", False):
        obj._history_user = actor


def _public_change(reply: Reply, *, before: set | None = None) -> None:
    """The reply's public text changed: search entries, roll-ups (``before``: the cells
    its rows counted in before the change, when they may have moved), then the version
    (last write)."""
    reindex_proposals([reply.proposal_id])
    # Its published section headings are part of what a repeat is judged by; the pages
    # whose 此前相关提案 changed move with the reply's, in one pass.
    _count, pages = repeats.relink([reply.proposal_id])
    rollups.public_change(replies=[reply.pk], proposals=pages, before=before or set())


@transaction.atomic
def publish_reply(*, reply: Reply, actor: AbstractBaseUser | None = None) -> Reply:
    """Publish a draft now, or a withdrawn reply again. Idempotent on a published reply."""
    reply = Reply.objects.select_for_update().get(pk=reply.pk)
    if reply.is_published:
        return reply
    first_time = reply.published_at is None
    if first_time:
        reply.published_at = timezone.now()
    reply.withdrawn_at = None
    reply.withdrawn_reason = ""
    _history_user(reply, actor)
    reply.save(update_fields=["published_at", "withdrawn_at", "withdrawn_reason", "updated_at"])
    # The dates promised in public: kept when an approved change moves a due date later.
    CommitmentItem.objects.filter(reply=reply, promised_on__isnull=True).update(
        promised_on=F("due_on")
    )
    _public_change(reply)
    if first_time:
        transaction.on_commit(lambda: notify_proposers_of_reply(reply))
    return reply


@transaction.atomic
def withdraw_reply(*, reply: Reply, reason: str, actor: AbstractBaseUser | None) -> Reply:
    """The office takes a published reply off the public site, saying why in public."""
    if actor is not None and not is_office(actor):
        raise PermissionDenied(_("只有提案委可以撤回已公开的答复。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写撤回理由：它将显示在提案页面上。"), code="reason")
    reply = Reply.objects.select_for_update().get(pk=reply.pk)
    if not reply.is_published:
        raise ValidationError(_("只有已公开的答复可以撤回。"), code="not_published")
    reply.withdrawn_at = timezone.now()
    reply.withdrawn_reason = reason[:500]
    _history_user(reply, actor)
    reply.save(update_fields=["withdrawn_at", "withdrawn_reason", "updated_at"])
    _public_change(reply)
    return reply


@transaction.atomic
def delete_draft(*, reply: Reply, actor: AbstractBaseUser | None = None) -> None:
    """Drafts may be deleted; a reply that was ever published never is (withdraw it)."""
    reply = Reply.objects.select_for_update().get(pk=reply.pk)
    if reply.was_published:
        raise ValidationError(
            _("已公开过的答复不能删除，只能由提案委撤回（并说明理由）。"), code="published"
        )
    _history_user(reply, actor)
    reply.delete()


@transaction.atomic
def create_reply(*, reply: Reply, actor: AbstractBaseUser | None = None) -> Reply:
    """A new reply typed into the admin: always a draft."""
    reply.published_at = None
    reply.withdrawn_at = None
    reply.full_clean()
    privacy.fill_public_texts(reply, [])
    fill_class_check(reply)
    _history_user(reply, actor)
    reply.save()
    return reply


@transaction.atomic
def edit_reply(
    *, reply: Reply, changes: dict, actor: AbstractBaseUser | None
) -> Reply | ReplyRevision:
    """Staff's edit of a reply's fields (``changes``: field → new value).

    A draft takes it at once. On a published or withdrawn reply, the office's edit
    applies at once (reindexed, versioned); a clerk's becomes the pending revision.
    """
    changes = {name: value for name, value in changes.items() if name in REPLY_FIELDS}
    current = Reply.objects.select_for_update().get(pk=reply.pk)
    if current.was_published and not (actor is None or is_office(actor)):
        return _propose(reply=current, reply_changes=changes, actor=actor)
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean(exclude=["proposal", "department", "supersedes"])
    privacy.fill_public_texts(current, [])
    if {"body", "classification"} & set(changes):
        fill_class_check(current)
    _history_user(current, actor)
    current.save()
    if current.is_published:
        _public_change(current)
    return current


@transaction.atomic
def edit_commitment(
    *,
    commitment: CommitmentItem,
    changes: dict,
    expected_version: int | None,
    actor: AbstractBaseUser | None,
) -> CommitmentItem | ReplyRevision:
    """Staff's edit of a commitment's text. The version the editor loaded is required:
    without it, or if someone saved since, the edit is refused (``StaleEditError``)."""
    if expected_version is None:
        raise ValidationError(
            _("缺少版本信息，无法确认您看到的是最新内容：请重新打开这一页再修改。"),
            code="version",
        )
    current = claim_version(commitment=commitment, expected_version=expected_version)
    changes = {name: value for name, value in changes.items() if name in COMMITMENT_FIELDS}
    reply = Reply.objects.get(pk=current.reply_id)
    if reply.was_published and not (actor is None or is_office(actor)):
        serialised = {name: getattr(value, "pk", value) for name, value in changes.items()}
        return _propose(reply=reply, commitment_changes={current.pk: serialised}, actor=actor)
    before = rollups.cells_of(commitments=[current.pk])  # its owner may change
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean(exclude=["reply"])
    current.public_text = privacy.masked(current.text, privacy.decisions_of(reply))
    _history_user(current, actor)
    current.save()
    if reply.is_published:
        _public_change(reply, before=before)
    return current


@transaction.atomic
def create_commitment(
    *, commitment: CommitmentItem, actor: AbstractBaseUser | None = None
) -> CommitmentItem:
    """A commitment added by hand: to a draft reply (a published one is revised by the
    office, who may add it through a new letter version)."""
    reply = Reply.objects.select_for_update().get(pk=commitment.reply_id)
    if reply.was_published and not (actor is None or is_office(actor)):
        raise ValidationError(
            _("已公开的答复不能直接增加承诺事项：请联系提案委。"), code="published"
        )
    commitment.full_clean()
    commitment.public_text = privacy.masked(commitment.text, privacy.decisions_of(reply))
    _history_user(commitment, actor)
    commitment.save()
    if reply.is_published:
        CommitmentItem.objects.filter(pk=commitment.pk).update(promised_on=F("due_on"))
        _public_change(reply)
    return commitment


@transaction.atomic
def save_targets(
    *,
    commitment: CommitmentItem,
    saved: Iterable[Target],
    deleted: Iterable[Target],
    actor: AbstractBaseUser | None,
) -> None:
    """Targets typed into the admin. What a published commitment promises (its targets)
    changes only through the office: a clerk's edit there is refused."""
    reply = Reply.objects.get(pk=commitment.reply_id)
    saved, deleted = list(saved), list(deleted)
    if (saved or deleted) and reply.was_published and not (actor is None or is_office(actor)):
        raise ValidationError(
            _("已公开承诺的量化指标不能由承办单位直接修改：完成值请通过“填报进展”报送。"),
            code="published",
        )
    for target in saved:
        target.commitment = commitment
        target.full_clean()
        target.save()
    for target in deleted:
        target.delete()
    refresh_commitment(commitment=commitment)
    if reply.is_published and (saved or deleted):
        _public_change(reply)


def delete_commitment(*, commitment: CommitmentItem, actor: AbstractBaseUser | None) -> None:
    reply = Reply.objects.get(pk=commitment.reply_id)
    if reply.was_published:
        raise ValidationError(_("已公开答复中的承诺事项不能删除。"), code="published")
    commitment.delete()


# --- Revisions ---------------------------------------------------------------------------


def _propose(
    *,
    reply: Reply,
    actor: AbstractBaseUser | None,
    reply_changes: dict | None = None,
    commitment_changes: dict | None = None,
) -> ReplyRevision:
    """Merge the changes into the reply's pending revision (one at a time per reply)."""
    revision = (
        ReplyRevision.objects.select_for_update()
        .filter(reply=reply, status=ReplyRevision.Status.PENDING)
        .first()
    ) or ReplyRevision(reply=reply, created_by=actor, changes={})
    changes = {"reply": {}, "commitments": {}, **(revision.changes or {})}
    for name, value in (reply_changes or {}).items():
        changes["reply"][name] = value.isoformat() if hasattr(value, "isoformat") else value
    for pk, fields in (commitment_changes or {}).items():
        changes["commitments"].setdefault(str(pk), {}).update(fields)
    revision.changes = changes
    revision.created_by = revision.created_by or actor
    revision.save()
    return revision


def revision_diff(revision: ReplyRevision) -> list[dict]:
    """Each changed field: where, the published value and the proposed one."""
    rows = []
    reply = revision.reply
    for name, value in revision.changes.get("reply", {}).items():
        rows.append(
            {
                "where": _("答复"),
                "field": Reply._meta.get_field(name).verbose_name,
                "old": str(getattr(reply, name) or ""),
                "new": str(value or ""),
            }
        )
    items = {str(item.pk): item for item in reply.commitments.all()}
    for pk, fields in revision.changes.get("commitments", {}).items():
        item = items.get(pk)
        for name, value in fields.items():
            old = getattr(item, f"{name}_id", None) if name in ("topic", "owner") else None
            rows.append(
                {
                    "where": str(item) if item else pk,
                    "field": CommitmentItem._meta.get_field(name).verbose_name,
                    "old": str(old if old is not None else getattr(item, name, "") or ""),
                    "new": str(value or ""),
                }
            )
    return rows


@transaction.atomic
def publish_revision(*, revision: ReplyRevision, actor: AbstractBaseUser) -> Reply:
    """The office publishes a pending revision: the reply and its commitments take the
    changes, the public sees them at once."""
    if not is_office(actor):
        raise PermissionDenied(_("只有提案委可以公开修订。"))
    revision = ReplyRevision.objects.select_for_update().get(pk=revision.pk)
    if revision.status != ReplyRevision.Status.PENDING:
        raise ValidationError(_("这份修订已经处理过了。"), code="decided")
    reply = Reply.objects.select_for_update().get(pk=revision.reply_id)
    before = rollups.cells_of(replies=[reply.pk])  # a commitment's owner may change
    for name, value in revision.changes.get("reply", {}).items():
        setattr(reply, name, value)
    reply.full_clean(exclude=["proposal", "department", "supersedes"])
    decisions = privacy.decisions_of(reply)
    privacy.fill_public_texts(reply, [], decisions=decisions)
    if {"body", "classification"} & set(revision.changes.get("reply", {})):
        fill_class_check(reply)
    _history_user(reply, actor)
    reply.save()
    for pk, fields in revision.changes.get("commitments", {}).items():
        item = CommitmentItem.objects.select_for_update().filter(pk=pk, reply=reply).first()
        if item is None:
            continue
        for name, value in fields.items():
            setattr(item, f"{name}_id" if name in ("topic", "owner") else name, value)
        item.version += 1
        item.full_clean(exclude=["reply"])
        item.public_text = privacy.masked(item.text, decisions)
        _history_user(item, actor)
        item.save()
    revision.status = ReplyRevision.Status.PUBLISHED
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    if reply.is_published:
        _public_change(reply, before=before)
    return reply


@transaction.atomic
def reject_revision(*, revision: ReplyRevision, actor: AbstractBaseUser) -> ReplyRevision:
    if not is_office(actor):
        raise PermissionDenied(_("只有提案委可以审核修订。"))
    revision = ReplyRevision.objects.select_for_update().get(pk=revision.pk)
    if revision.status != ReplyRevision.Status.PENDING:
        raise ValidationError(_("这份修订已经处理过了。"), code="decided")
    revision.status = ReplyRevision.Status.REJECTED
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return revision
