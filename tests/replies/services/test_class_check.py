"""replies.services.class_check: the class check's outcome is stored on the reply by every
service that writes its body or class, and shown to the office in the admin."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from replies.models import Reply
from replies.parsing.class_check import A_ALL_FUTURE, FIRM_DATED_PROMISES
from replies.services import publication
from replies.services.letters import importer
from tests import factories

pytestmark = pytest.mark.django_db

LETTER = (
    "关于市政协十五届三次会议第{number}号提案的答复\n"
    "办理结果：{cls}\n"
    "张明委员：\n"
    "您提出的《关于完善社区养老服务的提案》收悉。经认真研究，现答复如下：\n"
    "一、关于建设社区养老服务站\n"
    "下一步，我们将研究制定社区养老服务站建设方案，力争2025年底前新建养老服务站10处。\n"
    "二、关于培训护理人员\n"
    "我们将会同人社部门开展护理人员技能培训，计划明年培训300人次。\n"
    "感谢您对我们工作的关心和支持。\n临沂市民政局\n2024年7月1日\n"
)
DONE = "今年以来，我局已新建社区养老服务站8处，培训护理人员260人次。"


def test_import_stores_the_doubt_of_a_letter_of_promises_classed_a(world):
    result = importer.import_letter(
        text=LETTER.format(number=31, cls="A"),
        department=world["own"]["department"],
        actor=world["users"]["office"],
    )
    reply = Reply.objects.get(pk=result.reply.pk)
    assert reply.classification == "A"
    assert reply.class_doubt == A_ALL_FUTURE
    assert len(reply.class_doubt_statements) == 2
    # The same letter classed B agrees with its content.
    result = importer.import_letter(
        text=LETTER.format(number=32, cls="B"), department=world["own"]["department"]
    )
    assert Reply.objects.get(pk=result.reply.pk).class_doubt == ""


def test_edits_of_class_or_body_recheck(world):
    office = world["users"]["office"]
    reply = factories.ReplyFactory(
        body=LETTER.format(number=33, cls=""), classification="", published_at=None
    )
    publication.edit_reply(reply=reply, changes={"classification": "C"}, actor=office)
    reply.refresh_from_db()
    assert reply.class_doubt == FIRM_DATED_PROMISES
    assert any("2025年底前" in text for text in reply.class_doubt_statements)
    publication.edit_reply(reply=reply, changes={"classification": "B"}, actor=office)
    reply.refresh_from_db()
    assert reply.class_doubt == "" and reply.class_doubt_statements == []
    publication.edit_reply(reply=reply, changes={"classification": "A"}, actor=office)
    reply.refresh_from_db()
    assert reply.class_doubt == A_ALL_FUTURE
    body = reply.body.replace("经认真研究，", DONE + "经认真研究，")
    publication.edit_reply(reply=reply, changes={"body": body}, actor=office)
    reply.refresh_from_db()
    assert reply.class_doubt == ""


def test_a_clerks_revision_rechecks_when_the_office_publishes_it(world):
    office, clerk = world["users"]["office"], world["users"]["clerk"]
    reply = world["own"]["reply"]
    publication.edit_reply(
        reply=reply, changes={"body": LETTER.format(number=1, cls="")}, actor=office
    )
    revision = publication.edit_reply(reply=reply, changes={"classification": "A"}, actor=clerk)
    reply.refresh_from_db()
    assert reply.class_doubt == ""  # not yet: the revision waits for the office
    publication.publish_revision(revision=revision, actor=office)
    reply.refresh_from_db()
    assert reply.class_doubt == A_ALL_FUTURE


def test_check_classes_command_recomputes(world):
    reply = world["own"]["reply"]
    Reply.objects.filter(pk=reply.pk).update(
        body=LETTER.format(number=1, cls=""), classification="A"
    )
    call_command("check_classes", verbosity=0)
    reply.refresh_from_db()
    assert reply.class_doubt == A_ALL_FUTURE


def test_admin_filter_and_field_for_the_office_only(client, world):
    flagged = world["own"]["reply"]
    Reply.objects.filter(pk=flagged.pk).update(
        classification="A",
        class_doubt=A_ALL_FUTURE,
        class_doubt_statements=["我们将在年底前完成验收。（期限：2024-12-31）"],
    )
    client.force_login(world["users"]["office"])
    url = reverse("admin:replies_reply_changelist")
    response = client.get(url, {"class_doubt": "yes"})
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [flagged.pk]
    response = client.get(url, {"class_doubt": "no"})
    assert flagged.pk not in [r.pk for r in response.context["cl"].result_list]
    page = client.get(reverse("admin:replies_reply_change", args=[flagged.pk]))
    html = page.content.decode()
    assert "类别存疑" in html and "我们将在年底前完成验收。（期限：2024-12-31）" in html
    # A clerk of the department sees the reply, not the office's check.
    client.force_login(world["users"]["clerk"])
    page = client.get(reverse("admin:replies_reply_change", args=[flagged.pk]))
    assert page.status_code == 200
    assert "我们将在年底前完成验收" not in page.content.decode()
    assert "类别存疑" not in client.get(url).content.decode()
