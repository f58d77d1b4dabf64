"""The send_reminders command."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_send_reminders_command_is_idempotent(world, capsys):
    item = world["own"]["item"]
    item.due_on = timezone.localdate() + datetime.timedelta(days=3)
    item.save()
    call_command("send_reminders")
    assert "即将到期 1 项" in capsys.readouterr().out
    call_command("send_reminders")
    assert "即将到期 0 项" in capsys.readouterr().out
    assert len(mail.outbox) == 1
