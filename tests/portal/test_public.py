"""portal.views.public: the home, proposal, commitment-list and department pages, the
proposal's JSON and robots.txt; conditional GETs and fixed query counts."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from replies.models import CommitmentItem
from replies.services import publication
from tests import factories
from tests.helpers import body

pytestmark = pytest.mark.django_db

PAGES = {
    "home": lambda data: reverse("portal:home"),
    "detail": lambda data: data["proposal"].get_absolute_url(),
    "detail-json": lambda data: data["proposal"].get_absolute_url() + "data.json",
    "commitments": lambda data: reverse("portal:commitments") + "?status=in_progress",
    "commitments-committee": lambda data: (
        reverse("portal:commitments")
        + f"?committee={data['session'].committee.slug}&session={data['session'].pk}"
    ),
    "department": lambda data: data["proposal"].lead_department.get_absolute_url(),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_query_count_is_constant(page_queries, name):
    """Every page runs the same number of queries whatever the data size."""
    few, many = page_queries(PAGES[name])
    assert many == few
    assert many <= 12, name


def test_proposal_page_shows_the_seed_letter(client, seed):
    detail = body(client.get(seed.proposal.get_absolute_url()))
    assert detail.count('class="commitment"') == 5
    assert "关于“实施创新创业载体质量提升行动”" in detail
    assert "新增国家级科技企业孵化器3家" in detail
    assert "260万平方米" in detail
    assert "2025年12月31日" in detail
    assert "王坤" in detail


def test_drafts_never_leak(client, seed):
    draft = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="草稿提案的秘密标题"),
        body="这是尚未公开的草稿答复，包含关键词孵化器。",
        published_at=None,
    )
    factories.CommitmentFactory(reply=draft, heading="草稿里的承诺")
    publication.unpublish_reply(reply=draft)
    urls = [
        reverse("portal:home"),
        reverse("portal:search"),
        reverse("portal:search") + "?q=孵化器",
        reverse("portal:search") + "?q=秘密",
        reverse("portal:commitments"),
        reverse("portal:commitments-csv"),
        reverse("portal:commitments-json"),
        reverse("portal:feed"),
        reverse("portal:department-feed", args=[draft.department.pk]),
        reverse("portal:sitemap"),
        draft.department.get_absolute_url(),
    ]
    for url in urls:
        html = body(client.get(url))
        for secret in ("秘密标题", "尚未公开的草稿答复", "草稿里的承诺"):
            assert secret not in html, url
    assert client.get(draft.proposal.get_absolute_url()).status_code == 404
    assert client.get(draft.proposal.get_absolute_url() + "data.json").status_code == 404


def test_future_publication_date_is_still_a_draft(client):
    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="明天才公开的提案"),
        published_at=timezone.now() + timezone.timedelta(days=1),
    )
    assert client.get(reply.proposal.get_absolute_url()).status_code == 404
    assert "明天才公开的提案" not in body(client.get(reverse("portal:search")))


def test_proposal_json_matches_page(client, seed):
    data = json.loads(body(client.get(seed.proposal.get_absolute_url() + "data.json")))
    assert data["number"] == "89"
    assert data["session"] == "十五届五次会议"
    assert data["proposers"] == ["王坤"]
    commitments = data["replies"][0]["commitments"]
    assert len(commitments) == 5
    assert data["url"].endswith(seed.proposal.get_absolute_url())
    assert {t["quantity"] for t in commitments[3]["targets"]} >= {3, 20, 260}


def test_conditional_get_answers_304(client, seed):
    url = seed.proposal.get_absolute_url()
    first = client.get(url)
    assert "Last-Modified" in first
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304


def test_robots_points_at_sitemap(client):
    assert "Sitemap: http://testserver/sitemap.xml" in body(client.get("/robots.txt"))


def test_department_page_summarises_status(client, seed):
    html = body(client.get(seed.reply.department.get_absolute_url()))
    assert seed.reply.department.name in html
    assert "承诺落实情况" in html


def _select(page: str, name: str) -> str:
    start = page.index(f'<select name="{name}"')
    return page[start : page.index("</select>", start)]


def test_commitment_choices_are_the_chosen_committees(client, public_data):
    """Sessions and departments number thousands in a province: the list page offers
    those of the chosen committee only (and keeps a choice made by URL)."""
    first, second = factories.CommitteeFactory(name="甲市政协"), factories.CommitteeFactory()
    public_data(1, committee=first)
    public_data(1, committee=second)
    first_item = CommitmentItem.objects.filter(reply__proposal__session__committee=first)[0]
    second_item = CommitmentItem.objects.filter(reply__proposal__session__committee=second)[0]
    url = reverse("portal:commitments")
    page = body(client.get(url))
    assert "<option" not in _select(page, "session").replace('<option value="">', "")
    assert "先选择委员会" in page
    page = body(client.get(url, {"committee": first.slug}))
    sessions = _select(page, "session")
    assert str(first_item.reply.proposal.session) in sessions
    assert f'value="{second_item.reply.proposal.session_id}"' not in sessions
    departments = _select(page, "department")
    assert first_item.owner.name in departments
    assert second_item.owner.name not in departments
    assert f"#commitment-{first_item.pk}" in page
    assert f"#commitment-{second_item.pk}" not in page
    # A department chosen by URL stays shown and selected, whatever the committee.
    page = body(client.get(url, {"department": second_item.owner_id}))
    assert f'value="{second_item.owner_id}" selected' in _select(page, "department")


@pytest.mark.django_db
def test_pages_run_few_queries_without_the_cache(client):
    """Uncached, the busiest pages stay within ten queries (the cache only lowers that)."""
    from django.test.utils import CaptureQueriesContext

    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="关于完善养老服务体系的建议"),
        body="完善养老服务体系，新建养老机构3家",
        published_at=None,
    )
    publication.publish_reply(reply=reply)
    for number in (1, 2):
        factories.CommitmentFactory(reply=reply, number=number)
    urls = [
        "/",
        "/proposals/",
        "/proposals/?q=养老",
        "/proposals/?q=养老&sort=newest&classification=B",
        reply.proposal.get_absolute_url(),
        "/commitments/",
    ]
    for url in urls:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= 10, (url, [q["sql"] for q in queries])
