"""The public proposal page's point-by-point comparison (逐条答复对照): shown only once the
office published the proposal's text, masked, against published replies only."""

import json

import pytest
from django.urls import reverse

from replies.services.coverage import save_proposal_text
from tests import factories
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

# Written for these tests: three suggestions; the published reply answers the first, a
# draft answers the second, nothing answers the third.
TEXT = """案由：老城区停车难。

建议：
（一）利用边角空地建设临时停车场，缓解居民夜间停车压力。
（二）推动机关单位内部停车位在夜间向周边居民开放。
（三）在商圈推广智慧停车系统，实时发布空余车位信息。

联系人：周海燕，手机13800138000，邮箱zhouhy@example.com
"""


@pytest.fixture
def parking(world):
    proposal = world["own"]["proposal"]
    reply = world["own"]["reply"]
    factories.CommitmentFactory(
        reply=reply,
        number=7,
        marker="一、",
        heading="关于挖掘停车资源",
        text="我们梳理了老城区的边角地块和暂未开发土地，今年已建成临时停车场14处。",
    )
    draft = factories.ReplyFactory(proposal=proposal, published_at=None, role="co_opinion")
    factories.CommitmentFactory(
        reply=draft,
        number=1,
        marker="一、",
        heading="关于共享停车",
        text="我们已推动43家机关单位的内部停车场在夜间对周边居民开放。",
    )
    return proposal


def test_a_private_text_never_reaches_the_public_page(client, parking, world):
    save_proposal_text(proposal=parking, text=TEXT, public=False, actor=world["users"]["office"])
    for url in (parking.get_absolute_url(), parking.get_absolute_url() + "data.json"):
        page = client.get(url).content.decode()
        assert "逐条答复对照" not in page
        assert "智慧停车系统" not in page
        assert "边角空地" not in page
    data = json.loads(client.get(parking.get_absolute_url() + "data.json").content)
    assert data["text"] is None and data["coverage"] is None


def test_a_public_text_is_shown_masked_against_published_replies_only(client, parking, world):
    save_proposal_text(proposal=parking, text=TEXT, public=True, actor=world["users"]["office"])
    page = client.get(parking.get_absolute_url()).content.decode()
    assert "逐条答复对照" in page
    assert "智慧停车系统" in page
    for personal in ("13800138000", "周海燕", "zhouhy@example.com"):
        assert personal not in page
    # The draft's answer to suggestion 2 does not count for the public; 3 has none at all.
    assert "建议2未见答复" in page
    assert "建议3未见答复" in page
    assert "建议1未见答复" not in page
    assert "共享停车" not in page
    assert "机关单位的内部停车场" not in page
    data = json.loads(client.get(parking.get_absolute_url() + "data.json").content)
    assert [row["answered"] for row in data["coverage"]] == [True, False, False]
    assert "智慧停车系统" in data["text"] and "13800138000" not in data["text"]
    assert data["coverage"][0]["answers"][0]["commitment"].endswith(
        f"#commitment-{parking.replies.get(published_at__isnull=False).commitments.get(number=7).pk}"
    )


def test_the_office_sees_the_draft_answer_in_the_admin(client, parking, world):
    save_proposal_text(proposal=parking, text=TEXT, public=False, actor=world["users"]["office"])
    client.force_login(world["users"]["office"])
    page = client.get(reverse("admin:proposals_proposal_change", args=[parking.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "逐条答复对照" in text
    assert "关于共享停车" in text
    assert "建议3未见答复" in text
    assert "建议2未见答复" not in text
    assert "建议1未见答复" not in text


def test_the_comparison_adds_no_query_to_the_page(client, parking, world, uncached):
    url = parking.get_absolute_url()
    without = count_queries(client, url)
    save_proposal_text(proposal=parking, text=TEXT, public=True, actor=world["users"]["office"])
    with_text = count_queries(client, url)
    assert "逐条答复对照" in client.get(url).content.decode()
    assert with_text == without
    assert with_text <= 10
