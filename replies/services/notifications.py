"""E-mails: to proposers when their reply is published (and, if they asked for it on
/me/, on every progress update), to departments when a reply is sent back for
re-handling."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from proposals.models import Proposer
from replies.models import CommitmentItem, CommitmentUpdate, Reply


def notify_proposers_of_reply(reply: Reply) -> int:
    """E-mail the proposers that their proposal has a published reply."""
    proposal = reply.proposal
    recipients = [
        proposer.email or (proposer.user.email if proposer.user else "")
        for proposer in proposal.proposers.select_related("user")
    ]
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return 0
    subject = _("您的提案已收到答复：%(title)s") % {"title": proposal.title[:60]}
    body = _(
        "%(department)s对%(session)s%(number)s《%(title)s》的答复已公开。\n\n"
        "查看答复及其中的承诺：%(url)s\n"
    ) % {
        "department": reply.department.name,
        "session": proposal.session,
        "number": proposal.number_label,
        "title": proposal.title,
        "url": absolute_url(proposal.get_absolute_url()),
    }
    return send_mail(subject, body, None, recipients)


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def notify_department_of_rehandling(reply: Reply) -> int:
    department = reply.department
    if not department.email:
        return 0
    proposal = reply.proposal
    subject = _("提案退回重办：%(title)s") % {"title": proposal.title[:60]}
    body = _(
        "提案人对贵单位关于%(session)s%(number)s《%(title)s》的答复表示不满意，"
        "提案已退回重办。\n\n提案人意见：%(comment)s\n\n%(url)s\n"
    ) % {
        "session": proposal.session,
        "number": proposal.number_label,
        "title": proposal.title,
        "comment": reply.satisfaction_comment or "（无）",
        "url": absolute_url(proposal.get_absolute_url()),
    }
    return send_mail(subject, body, None, [department.email])


def notify_proposers_of_updates(commitment_ids: Iterable[int]) -> int:
    """E-mail the proposers who asked for it (``Proposer.notify_updates``) the latest
    progress of the given commitments: one message per proposal and address. Returns the
    number of messages sent."""
    items = list(
        CommitmentItem.objects.filter(pk__in=list(commitment_ids))
        .select_related("reply__proposal__session__committee", "reply__department")
        .order_by("reply__proposal_id", "reply_id", "number")
    )
    if not items:
        return 0
    proposal_ids = {item.reply.proposal_id for item in items}
    wanted: dict[int, set[str]] = {}
    for proposal_id, email, user_email in Proposer.objects.filter(
        proposals__in=proposal_ids, notify_updates=True
    ).values_list("proposals", "email", "user__email"):
        address = email or user_email
        if address:
            wanted.setdefault(proposal_id, set()).add(address)
    if not wanted:
        return 0
    latest = {}
    for update in CommitmentUpdate.objects.filter(
        commitment__in=[item.pk for item in items]
    ).order_by("commitment_id", "date", "created_at", "pk"):
        latest[update.commitment_id] = update
    sent = 0
    by_proposal: dict[int, list[CommitmentItem]] = {}
    for item in items:
        by_proposal.setdefault(item.reply.proposal_id, []).append(item)
    for proposal_id, proposal_items in by_proposal.items():
        if proposal_id not in wanted:
            continue
        proposal = proposal_items[0].reply.proposal
        lines = []
        for item in proposal_items:
            update = latest.get(item.pk)
            line = _("%(commitment)s：%(status)s") % {
                "commitment": str(item),
                "status": item.get_status_display(),
            }
            if update is not None and update.note:
                line += _("（%(date)s %(note)s）") % {
                    "date": update.date.isoformat(),
                    "note": update.note[:200],
                }
            lines.append("- " + line)
        subject = _("您的提案有新进展：%(title)s") % {"title": proposal.title[:60]}
        body = _(
            "%(session)s%(number)s《%(title)s》的承诺事项有新进展：\n\n%(lines)s\n\n"
            "查看详情：%(url)s\n\n不想再收到这类邮件，可在“我的提案”页面关闭。\n"
        ) % {
            "session": proposal.session,
            "number": proposal.number_label,
            "title": proposal.title,
            "lines": "\n".join(lines),
            "url": absolute_url(reverse("portal:mine")),
        }
        sent += send_mail(subject, body, None, sorted(wanted[proposal_id]))
    return sent
