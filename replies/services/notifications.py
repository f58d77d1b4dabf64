"""E-mails: to proposers when their reply is published, to departments when a reply is
sent back for re-handling."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext_lazy as _

from replies.models import Reply


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
