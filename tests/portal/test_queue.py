"""portal.views.staff.work_queue: a department clerk's landing page — their department's
open commitments (overdue first, then by due date), the proposals awaiting their letter,
their deadline-change requests — and the two-click progress note from it."""

import datetime

import pytest
from django.urls import reverse

from core import roles
from replies.models import CommitmentUpdate
from replies.services import deadlines
from tests import factories
from tests.conftest import make_user
from tests.helpers import body, count_queries

pytestmark = pytest.mark.django_db

PAST = datetime.date(2020, 1, 1)
SOON = datetime.date(2099, 1, 1)
LATER = datetime.date(2099, 6, 1)


def _item(reply, number, heading, due_on, status="in_progress"):
    return factories.CommitmentFactory(
        reply=reply, number=number, heading=heading, due_on=due_on, status=status
    )


@pytest.fixture
def queue_world(world):
    """The clerk's department gets commitments due later, soon, long ago (overdue), one
    fulfilled and one without a date, a draft reply's commitment, a proposal awaiting its
    letter, and a deadline-change request; the other department gets its own."""
    own = world["own"]
    reply = own["reply"]
    items = {
        "later": _item(reply, 11, "稍后到期的承诺", LATER),
        "undated": _item(reply, 12, "未注明期限的承诺", None),
        "overdue": _item(reply, 13, "早已逾期的承诺", PAST),
        "soon": _item(reply, 14, "即将到期的承诺", SOON),
        "done": _item(reply, 15, "已经完成的承诺", PAST, status="fulfilled"),
    }
    draft = factories.ReplyFactory(
        proposal=factories.ProposalFactory(lead_department=own["department"]),
        published_at=None,
    )
    items["draft"] = _item(draft, 1, "草稿中的承诺", datetime.date(2098, 1, 1))
    other = world["other"]
    items["foreign"] = _item(other["reply"], 21, "别的单位的承诺", PAST)
    awaiting = factories.ProposalFactory(
        lead_department=own["department"],
        status="assigned",
        title="等待本单位答复的提案",
        reply_due=datetime.date(2021, 9, 1),
    )
    factories.ProposalFactory(
        lead_department=other["department"], status="assigned", title="等待别的单位答复的提案"
    )
    change = deadlines.request_change(
        commitment=items["soon"],
        new_due=datetime.date(2099, 12, 31),
        reason="需要更多时间",
        actor=world["users"]["clerk"],
    )
    return {**world, "items": items, "awaiting": awaiting, "change": change}


def test_a_clerk_lands_on_the_queue_after_login(client, queue_world):
    """The login page sends a department clerk to their work queue."""
    response = client.post(reverse("portal:login"), {"username": "clerk", "password": "pw-123456"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:queue")


def test_the_queue_lists_open_commitments_overdue_first_then_by_due_date(client, queue_world):
    client.force_login(queue_world["users"]["clerk"])
    html = body(client.get(reverse("portal:queue")))
    order = [
        "早已逾期的承诺",
        "草稿中的承诺",
        "即将到期的承诺",
        "稍后到期的承诺",
        "未注明期限的承诺",
    ]
    positions = [html.index(heading) for heading in order]
    assert positions == sorted(positions)
    # The world's own commitment is undated too and comes with the undated ones.
    assert "已经完成的承诺" not in html
    assert "别的单位的承诺" not in html
    assert "草稿，未公开" in html
    assert "等待本单位答复的提案" in html
    assert "等待别的单位答复的提案" not in html
    assert "需要更多时间" not in html  # the reason is the office's to read in the admin
    assert "待审核" in html and "2099年12月31日" in html


def test_a_note_from_the_queue_takes_two_clicks(client, queue_world):
    """填报进展 opens the form with the status filled in; a note and 保存 return to the
    queue with a success message."""
    item = queue_world["items"]["overdue"]
    client.force_login(queue_world["users"]["clerk"])
    queue = body(client.get(reverse("portal:queue")))
    link = reverse("portal:progress", args=[item.pk]) + "?from=queue"
    assert f'href="{link}"' in queue
    form = client.get(link)
    assert form.status_code == 200
    assert form.context["form"]["status"].value() == "in_progress"
    response = client.post(
        link,
        {
            "version": item.version,
            "date": datetime.date.today().isoformat(),
            "status": "in_progress",
            "note": "已完成选址",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("portal:queue")
    assert "进展已保存：早已逾期的承诺" in body(response)
    assert CommitmentUpdate.objects.filter(commitment=item, note="已完成选址").exists()


def test_status_and_note_are_required(client, queue_world):
    item = queue_world["items"]["overdue"]
    client.force_login(queue_world["users"]["clerk"])
    link = reverse("portal:progress", args=[item.pk]) + "?from=queue"
    response = client.post(
        link, {"version": item.version, "date": "2024-03-01", "status": "", "note": ""}
    )
    assert response.status_code == 200
    assert len(response.context["form"].errors) == 2
    assert set(response.context["form"].errors) == {"status", "note"}
    assert not CommitmentUpdate.objects.filter(commitment=item).exists()


@pytest.mark.parametrize("debug", [False, True])
def test_another_departments_item_is_a_chinese_403_that_says_why(
    client, queue_world, settings, debug
):
    """In production and with DEBUG on alike."""
    settings.DEBUG = debug
    item = queue_world["items"]["foreign"]
    client.force_login(queue_world["users"]["clerk"])
    response = client.get(reverse("portal:progress", args=[item.pk]) + "?from=queue")
    assert response.status_code == 403
    html = body(response)
    assert "没有权限" in html
    assert f"这项承诺由{item.owner.name}负责" in html
    assert "不能填报其他单位的承诺" in html


def test_who_else_may_open_the_queue(client, queue_world):
    """The office is sent to the admin; a member, a staff user in no group and a clerk
    without a department are told why there is nothing for them; the anonymous log in."""
    url = reverse("portal:queue")
    assert client.get(url).status_code == 302
    client.force_login(queue_world["users"]["office"])
    assert client.get(url)["Location"] == reverse("admin:index")
    for user, reason in (
        (queue_world["users"]["member"], "只供承办单位经办人使用"),
        (make_user("nogroup"), "只供承办单位经办人使用"),
        (make_user("nodept", roles.CLERK), "没有关联承办单位"),
    ):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403, user
        assert reason in body(response)


def test_the_queue_runs_a_fixed_number_of_queries(client, uncached, world):
    """Uncached, the same few queries with 2 items of each kind as with 12."""
    own = world["own"]
    client.force_login(world["users"]["clerk"])

    def add(count, start):
        for n in range(count):
            reply = factories.ReplyFactory(
                proposal=factories.ProposalFactory(lead_department=own["department"])
            )
            item = _item(reply, start + n, f"承诺{start + n}", PAST)
            factories.ProposalFactory(lead_department=own["department"], status="assigned")
            deadlines.request_change(
                commitment=item,
                new_due=datetime.date(2099, 1, 1),
                reason="理由",
                actor=world["users"]["clerk"],
            )

    add(2, 100)
    few = count_queries(client, reverse("portal:queue"))
    add(10, 200)
    many = count_queries(client, reverse("portal:queue"))
    assert few == many
    assert many <= 10
