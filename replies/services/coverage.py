"""A proposal's own text (案由 and numbered 建议) and whether the replies answer each
suggestion (逐条答复).

Staff enter or paste the text (or upload a file in a letter's formats) on the proposal's
admin page; it is private until the office ticks 可公开. Only then is ``public_text`` — the
text with personal data masked as a reply's body is (``replies.parsing.pii``) — filled, so a
private text is nowhere in what public pages read. The comparison itself is
``replies.parsing.coverage``; ``replies.selectors.proposal_coverage`` reads it for pages.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.roles import is_office
from core.versioning import bump_public_version
from proposals.models import Proposal
from replies.parsing.pii import mask_text
from replies.parsing.text import remove_control_characters

# Longer than any proposal (a few thousand characters); a pasted book is a mistake.
TEXT_MAX_CHARS = 50_000


@transaction.atomic
def save_proposal_text(
    *,
    proposal: Proposal,
    text: str,
    public: bool,
    actor: AbstractBaseUser | None = None,
) -> Proposal:
    """Store the proposal's text and the office's 可公开 choice; a public text is stored
    masked in ``public_text`` and the public pages' version is bumped when what the public
    reads changed. Staff who may edit the proposal may enter its text; only the office may
    publish it."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if actor is not None:
        if not Proposal.objects.editable_by(actor).filter(pk=proposal.pk).exists():
            raise PermissionDenied(_("您不能修改这件提案。"))
        if bool(public) != proposal.text_public and not is_office(actor):
            raise PermissionDenied(_("只有提案委可以决定提案原文是否公开。"))
    text, _removed = remove_control_characters((text or "").replace("\r\n", "\n"))
    text = text.strip()
    if len(text) > TEXT_MAX_CHARS:
        raise ValidationError(
            _("提案原文过长（超过 %(limit)d 字），未保存。") % {"limit": TEXT_MAX_CHARS},
            code="too_long",
        )
    public = bool(public) and bool(text)
    public_text = mask_text(text) if public else ""
    changed = text != proposal.text or public != proposal.text_public
    if not changed and public_text == proposal.public_text:
        return proposal
    public_before = proposal.public_text if proposal.text_public else ""
    proposal.text = text
    proposal.text_public = public
    proposal.public_text = public_text
    if actor is not None and getattr(actor, "is_authenticated", False):
        proposal._history_user = actor
    proposal.save(update_fields=["text", "text_public", "public_text", "updated_at"])
    if proposal.is_public and public_before != public_text:
        Proposal.objects.filter(pk=proposal.pk).touch_pages()  # its page shows the text
        bump_public_version(scoped=True)
    return proposal
