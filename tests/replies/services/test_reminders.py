"""replies.services.reminders: due-soon and overdue reminders, once per item per day."""

import datetime

import pytest
from django.core import mail

from replies.models import Reminder
from replies.services import reminders

pytestmark = pytest.mark.django_db


def test_reminders_are_sent_once_per_item_per_day(world):
    today = datetime.date(2024, 6, 1)
    own, other = world["own"]["item"], world["other"]["item"]
    own.due_on = today + datetime.timedelta(days=10)
    own.save()
    other.due_on = today - datetime.timedelta(days=3)
    other.save()
    sent = reminders.send_reminders(today=today)
    assert sent == {"due_soon": 1, "overdue": 1}
    assert sorted(m.to[0] for m in mail.outbox) == ["jy@example.gov.cn", "kj@example.gov.cn"]
    assert reminders.send_reminders(today=today) == {"due_soon": 0, "overdue": 0}
    assert len(mail.outbox) == 2
    assert Reminder.objects.count() == 2
    reminders.send_reminders(today=today + datetime.timedelta(days=1))
    assert len(mail.outbox) == 4
