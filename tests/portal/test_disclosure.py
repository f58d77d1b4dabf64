"""The proposal page's disclosure block (政务公开信息) for each published reply: 索引号,
发布机构, 文号, 成文日期, 公开日期 (the source page's date) and 本站发布; what a letter does
not give reads 未注明, never the import date."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from replies.services import publication
from tests import factories
from tests.helpers import body


def _disclosure(html: str) -> dict[str, str]:
    block = re.search(r'<dl class="facts small disclosure">(.*?)</dl>', html, re.S)
    assert block, "no disclosure block"
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block.group(1), re.S)
    return {label: re.sub(r"<[^>]+>", "", value).strip() for label, value in pairs}


def test_the_seed_letter_discloses_what_its_page_gives(client, seed, uncached):
    facts = _disclosure(body(client.get(seed.proposal.get_absolute_url())))
    today = timezone.localdate()
    assert list(facts) == ["索引号", "发布机构", "文号", "成文日期", "公开日期", "本站发布"]
    assert facts["索引号"] == "1342804570/kxjsj/2021-0000168"
    assert facts["发布机构"] == seed.reply.department.name
    assert facts["文号"] == "未注明"
    assert facts["成文日期"] == "2021年7月9日"
    assert facts["公开日期"] == "2021年7月9日"
    assert facts["本站发布"] == f"{today.year}年{today.month}月{today.day}日"
    assert seed.reply.source_published_on == datetime.date(2021, 7, 9)


@pytest.mark.django_db
def test_an_undated_letter_says_unstated_never_the_import_date(client, uncached):
    reply = factories.ReplyFactory(
        letter_date=None, source_published_on=None, doc_number="", index_number=""
    )
    publication.publish_reply(reply=reply)
    html = body(client.get(reply.proposal.get_absolute_url()))
    facts = _disclosure(html)
    today = timezone.localdate()
    for label in ("索引号", "文号", "成文日期", "公开日期"):
        assert facts[label] == "未注明", label
    assert '<span class="unstated">未注明</span>' in html
    # Only 本站发布 carries today's date.
    assert [value for value in facts.values() if str(today.year) in value] == [facts["本站发布"]]


def test_the_json_carries_the_source_page_date(client, seed, uncached):
    data = json.loads(body(client.get(seed.proposal.get_absolute_url() + "data.json")))
    assert data["replies"][0]["source_published_on"] == "2021-07-09"


@pytest.mark.django_db
def test_an_undated_letter_does_not_sort_as_newest(client, uncached):
    """Published after a dated letter, an undated one still comes after it: on the home
    page's latest replies, the department's page, the search's newest-first order and the
    replies' own order (the admin's)."""
    from django.urls import reverse

    from replies.models import Reply

    department = factories.DepartmentFactory()
    dated = factories.ReplyFactory(
        proposal=factories.ProposalFactory(lead_department=department, title="有日期的答复"),
        letter_date=datetime.date(2021, 7, 9),
    )
    undated = factories.ReplyFactory(
        proposal=factories.ProposalFactory(lead_department=department, title="未注明日期的答复"),
        letter_date=None,
    )
    for reply in (dated, undated):
        publication.publish_reply(reply=reply)
    assert list(Reply.objects.all()) == [dated, undated]
    pages = [
        reverse("portal:home"),
        department.get_absolute_url(),
        reverse("portal:search") + "?sort=newest",
    ]
    for url in pages:
        html = body(client.get(url))
        assert html.index("有日期的答复") < html.index("未注明日期的答复"), url
