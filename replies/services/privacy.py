"""Personal data in letters: what the public reads has contact names and numbers, mobile
numbers, e-mail addresses and ID numbers masked (``replies.parsing.pii``); staff read the
original. The office may show a detected item after all, or hide a selection the
detector missed; each choice is recorded (``PersonalDataDecision``) and applies to every
public output — page, search index and snippets, feeds, JSON, CSV — which all read the
``public_*`` fields kept here.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.roles import is_office
from core.versioning import bump_public_version
from proposals.models import Proposal
from replies.models import CommitmentItem, PersonalDataDecision, Reply
from replies.parsing.pii import PiiSpan, find_personal_data, mask_text
from replies.services.indexing import reindex_proposals


def decisions_of(reply: Reply) -> tuple[set[str], set[str]]:
    """(unmask, mask): the texts the office decided on; the latest choice per text wins."""
    latest: dict[str, str] = {}
    if reply.pk is not None:
        for action, text in reply.privacy_decisions.order_by("decided_at", "pk").values_list(
            "action", "text"
        ):
            latest[text] = action
    unmask = {text for text, action in latest.items() if action == "unmask"}
    mask = {text for text, action in latest.items() if action == "mask"}
    return unmask, mask


def masked(text: str, decisions: tuple[set[str], set[str]]) -> str:
    """``text`` as the public reads it, given the reply's decisions (``decisions_of``)."""
    unmask, mask = decisions
    return mask_text(text or "", unmask=tuple(unmask), mask=tuple(mask))


def fill_public_texts(reply: Reply, items: Iterable[CommitmentItem], *, decisions=None) -> None:
    """Set ``public_body`` and each commitment's ``public_text`` (not saved)."""
    decisions = decisions if decisions is not None else decisions_of(reply)
    reply.public_body = masked(reply.body, decisions)
    for item in items:
        item.public_text = masked(item.text, decisions)


def detected(reply: Reply) -> list[PiiSpan]:
    """What the detector finds in the original body (for the staff's preview)."""
    return find_personal_data(reply.body or "")


@transaction.atomic
def refresh_public_texts(*, reply: Reply) -> bool:
    """Recompute the masked texts of a reply and its commitments; reindex and bump the
    public version when a public reply's public text changed. True if anything changed."""
    reply = Reply.objects.select_for_update().get(pk=reply.pk)
    items = list(reply.commitments.all())
    before = (reply.public_body, [item.public_text for item in items])
    fill_public_texts(reply, items)
    after = (reply.public_body, [item.public_text for item in items])
    if after == before:
        return False
    Reply.objects.filter(pk=reply.pk).update(public_body=reply.public_body)
    CommitmentItem.objects.bulk_update(items, ["public_text"])
    if reply.is_published:
        reindex_proposals([reply.proposal_id])
        Proposal.objects.filter(pk=reply.proposal_id).touch_pages()
        bump_public_version(scoped=True)
    return True


@transaction.atomic
def decide(
    *, reply: Reply, action: str, text: str, actor: AbstractBaseUser | None
) -> PersonalDataDecision:
    """The office shows a detected item (``unmask``) or hides a selection (``mask``)."""
    if actor is not None and not is_office(actor):
        raise PermissionDenied(_("只有提案委可以决定公开或隐去个人信息。"))
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("请填写要处理的文字。"), code="empty")
    if action not in PersonalDataDecision.Action.values:
        raise ValidationError(_("未知的处理方式。"), code="action")
    if text not in (reply.body or "") and not any(
        text in (item.text or "") for item in reply.commitments.all()
    ):
        raise ValidationError(_("答复原文中没有这段文字。"), code="absent")
    decision = PersonalDataDecision.objects.create(
        reply=reply,
        action=action,
        text=text[:200],
        decided_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    refresh_public_texts(reply=reply)
    return decision


def mask_existing(*, batch: int = 500) -> int:
    """Recompute every reply's public texts (the ``mask_personal_data`` command): replies
    imported before masking existed, or after the rules changed. Returns how many changed."""
    changed = 0
    ids = list(Reply.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        for pk in ids[start : start + batch]:
            changed += refresh_public_texts(reply=Reply(pk=pk))
    return changed
