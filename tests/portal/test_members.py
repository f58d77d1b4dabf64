"""portal.views.members: a member's own proposals (drafts too) and rating a reply."""

import pytest
from django.urls import reverse

from replies.models import Satisfaction
from tests import factories
from tests.helpers import body, count_queries

pytestmark = pytest.mark.django_db


def test_member_sees_own_drafts_and_rates_a_reply(client, world):
    reply = world["own"]["reply"]
    draft = factories.ReplyFactory(
        proposal=world["own"]["proposal"],
        body="尚未公开的会办意见",
        published_at=None,
        department=world["other"]["department"],
        role="co_opinion",
    )
    client.force_login(world["users"]["member"])
    html = client.get(reverse("portal:mine")).content.decode()
    assert "尚未公开的会办意见" in html and "草稿" in html
    assert draft.proposal.title in html
    response = client.post(
        reverse("portal:rate", args=[reply.pk]),
        {"satisfaction": "basically", "comment": "措施较具体"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("portal:mine"), 302)]
    assert "感谢您的评价。" in body(response)
    reply.refresh_from_db()
    assert (reply.satisfaction, reply.satisfaction_comment) == (
        Satisfaction.BASICALLY,
        "措施较具体",
    )


def test_member_cannot_rate_someone_elses_reply(client, world):
    client.force_login(world["users"]["member"])
    response = client.post(
        reverse("portal:rate", args=[world["other"]["reply"].pk]), {"satisfaction": "satisfied"}
    )
    assert response.status_code == 404
    world["other"]["reply"].refresh_from_db()
    assert world["other"]["reply"].satisfaction == ""


def test_own_proposals_page_runs_constant_queries(client, world, member_proposals, uncached):
    """A member's page, drafts and commitments included, runs the same queries for 3 of
    their proposals and for 12."""
    client.force_login(world["users"]["member"])
    member_proposals(2)
    few = count_queries(client, reverse("portal:mine"))
    member_proposals(9)
    assert count_queries(client, reverse("portal:mine")) == few


def test_unsatisfied_goes_through_a_confirmation_step(client, world):
    """不满意 first shows what will happen (sent back to the department for re-handling)
    and stores nothing; confirmed, the rating is stored and the proposal reads 退回重办."""
    reply = world["own"]["reply"]
    proposal = world["own"]["proposal"]
    client.force_login(world["users"]["member"])
    url = reverse("portal:rate", args=[reply.pk])
    response = client.post(url, {"satisfaction": "unsatisfied", "comment": "措施不具体"})
    assert response.status_code == 200
    html = body(response)
    assert "确认评价为“不满意”" in html
    assert f"退回{reply.department.name}重新办理" in html
    assert 'name="confirm" value="yes"' in html and "措施不具体" in html
    reply.refresh_from_db()
    assert reply.satisfaction == ""
    response = client.post(
        url,
        {"satisfaction": "unsatisfied", "comment": "措施不具体", "confirm": "yes"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("portal:mine"), 302)]
    reply.refresh_from_db()
    proposal.refresh_from_db()
    assert reply.satisfaction == Satisfaction.UNSATISFIED
    assert proposal.status == "assigned"
    html = body(response)
    assert "退回重办" in html
    assert f"已退回{reply.department.name}重新办理" in html
    meta = html[html.index(proposal.title) :]
    assert "已交办" not in meta[: meta.index("</p>")]


def _hours_ago(hours: int):
    import datetime

    from django.utils import timezone

    return timezone.now() - datetime.timedelta(hours=hours)


def test_me_marks_what_is_new_since_the_last_visit(client, world):
    """The first visit marks nothing; the next one (half an hour or more after the last
    began) marks the replies published and the updates posted since the one before, and
    keeps those marks while it lasts (a reload); the one after marks nothing old."""
    from proposals.models import Proposer
    from replies.models import CommitmentUpdate
    from replies.services import progress, publication

    member = world["users"]["member"]
    item = world["own"]["item"]
    client.force_login(member)
    first = body(client.get(reverse("portal:mine")))
    assert "badge-new" not in first and "自您上次查看" not in first
    proposer = Proposer.objects.get(user=member)
    assert proposer.last_seen_at is not None and proposer.seen_before is None
    # Time passes: the visit began two hours ago, the reply it saw was older still.
    Proposer.objects.filter(pk=proposer.pk).update(last_seen_at=_hours_ago(2))
    world["own"]["reply"].__class__.objects.filter(pk=world["own"]["reply"].pk).update(
        published_at=_hours_ago(3)
    )
    progress.post_update(commitment=item, status="in_progress", note="已新增孵化器两家")
    late = factories.ReplyFactory(
        proposal=world["own"]["proposal"], published_at=None, role="co_opinion"
    )
    publication.publish_reply(reply=late)
    second = body(client.get(reverse("portal:mine")))
    assert "自您上次查看" in second and "有 2 处新进展" in second
    assert "新进展 1 条" in second and "已新增孵化器两家" in second
    assert second.count('<span class="badge badge-new">新</span>') == 1
    # A reload in the same visit keeps the marks.
    assert "新进展 1 条" in body(client.get(reverse("portal:mine")))
    # An hour later (the update and the reply older than this visit's start), none.
    Proposer.objects.filter(pk=proposer.pk).update(last_seen_at=_hours_ago(1))
    CommitmentUpdate.objects.filter(commitment=item).update(created_at=_hours_ago(2))
    late.__class__.objects.filter(pk=late.pk).update(published_at=_hours_ago(2))
    third = body(client.get(reverse("portal:mine")))
    assert "badge-new" not in third and "没有新进展" in third


def test_me_first_visit_runs_at_most_ten_queries(client, world, member_proposals, uncached):
    """The visit that records itself (and reads the member's settings) stays within ten
    queries, uncached."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member_proposals(3)
    client.force_login(world["users"]["member"])
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse("portal:mine")).status_code == 200
    assert len(context) <= 10


def test_member_opts_in_to_update_mails(client, world, django_capture_on_commit_callbacks):
    """The opt-in on /me/: off by default; on, every progress update on the member's
    proposals is e-mailed (once saved for good); off again, none."""
    from django.core import mail

    from replies.services import progress

    member = world["users"]["member"]
    client.force_login(member)
    page = body(client.get(reverse("portal:mine")))
    assert 'name="notify_updates">' in page  # unchecked
    item = world["own"]["item"]
    with django_capture_on_commit_callbacks(execute=True):
        progress.post_update(commitment=item, status="in_progress", note="第一次")
    assert mail.outbox == []
    response = client.post(reverse("portal:notifications"), {"notify_updates": "on"}, follow=True)
    assert "已开启" in body(response) and 'name="notify_updates" checked>' in body(response)
    with django_capture_on_commit_callbacks(execute=True):
        progress.post_update(commitment=item, status="partial", note="已新增孵化器两家")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wangkun@example.com"]
    assert "新进展" in message.subject and "已新增孵化器两家" in message.body
    assert reverse("portal:mine") in message.body
    # Another member's proposal, another department's commitment: no mail to this one.
    with django_capture_on_commit_callbacks(execute=True):
        progress.post_update(commitment=world["other"]["item"], status="in_progress")
    assert len(mail.outbox) == 1
    client.post(reverse("portal:notifications"), {})
    with django_capture_on_commit_callbacks(execute=True):
        progress.post_update(commitment=item, status="fulfilled", note="完成")
    assert len(mail.outbox) == 1


def test_notification_setting_needs_a_proposer(client, world):
    office = world["users"]["office"]
    client.force_login(office)
    response = client.post(reverse("portal:notifications"), {"notify_updates": "on"}, follow=True)
    assert "没有关联提案人" in body(response)
    assert client.get(reverse("portal:notifications")).status_code == 405
