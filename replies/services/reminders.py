"""The daily reminder job: commitments due soon or overdue, e-mailed to their departments."""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from replies.models import (
    CommitmentItem,
    Reminder,
)
from replies.services.notifications import absolute_url


def send_reminders(*, today: datetime.date | None = None) -> dict[str, int]:
    """E-mail each department its commitments due within the reminder window or overdue.

    Idempotent: a ``Reminder`` row per commitment, kind and day is claimed before sending,
    so running the daily job twice sends nothing more.
    """
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=settings.REMINDER_DAYS)
    open_items = (
        CommitmentItem.objects.open()
        .filter(due_on__isnull=False, owner__email__gt="")
        .select_related("owner", "reply__proposal__session__committee")
    )
    due = {
        Reminder.Kind.OVERDUE: open_items.filter(due_on__lt=today),
        Reminder.Kind.DUE_SOON: open_items.filter(due_on__gte=today, due_on__lte=soon),
    }
    sent = dict.fromkeys(Reminder.Kind.values, 0)
    by_department: dict[int, list[tuple[str, CommitmentItem]]] = {}
    for kind, items in due.items():
        for item in items.order_by("owner_id", "due_on", "pk"):
            with transaction.atomic():
                _reminder, created = Reminder.objects.get_or_create(
                    commitment=item,
                    kind=kind,
                    sent_on=today,
                    defaults={"recipients": item.owner.email},
                )
            if created:
                by_department.setdefault(item.owner_id, []).append((kind, item))
                sent[kind] += 1
    for entries in by_department.values():
        department = entries[0][1].owner
        lines = []
        for kind, item in entries:
            label = Reminder.Kind(kind).label
            lines.append(
                f"[{label}] {item.due_on:%Y-%m-%d} {item.reply.proposal.number_label} "
                f"{item.heading or item.text[:30]}  {absolute_url(item.get_absolute_url())}"
            )
        send_mail(
            _("承诺事项提醒：%(count)d 项即将到期或已逾期") % {"count": len(entries)},
            "\n".join(lines),
            None,
            [department.email],
        )
    return sent
