"""Public pages: content, filters, exports, conditional GETs and fixed query counts."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from replies.models import CommitmentItem, CommitmentStatus
from replies.services import progress, publication
from tests import factories

pytestmark = pytest.mark.django_db


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def text(response) -> str:
    """The page with highlighting removed, to look for titles in search results."""
    return body(response).replace("<mark>", "").replace("</mark>", "")


def make_public_data(copies: int, committee=None, session=None) -> None:
    """Published replies with commitments, targets, updates, proposers and topics."""
    session = session or factories.SessionFactory(
        committee=committee or factories.CommitteeFactory()
    )
    topic = factories.TopicFactory()
    for _ in range(copies):
        proposal = factories.ProposalFactory(session=session)
        proposal.proposers.add(factories.ProposerFactory())
        proposal.topics.add(topic)
        reply = factories.ReplyFactory(proposal=proposal, classification="B")
        for number in (1, 2):
            item = factories.CommitmentFactory(reply=reply, number=number, topic=topic)
            factories.TargetFactory(commitment=item)
            progress.post_update(commitment=item, status=CommitmentStatus.IN_PROGRESS)
        publication.publish_reply(reply=reply)


def count_queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


PAGES = [
    ("home", lambda data: reverse("portal:home")),
    ("search", lambda data: reverse("portal:search")),
    ("search-q", lambda data: reverse("portal:search") + "?q=科技&sort=relevance"),
    (
        "search-filtered",
        lambda data: (
            reverse("portal:search")
            + f"?session={data['session'].pk}&status=in_progress&classification=B"
        ),
    ),
    ("detail", lambda data: data["proposal"].get_absolute_url()),
    ("detail-json", lambda data: data["proposal"].get_absolute_url() + "data.json"),
    ("commitments", lambda data: reverse("portal:commitments") + "?status=in_progress"),
    (
        "commitments-committee",
        lambda data: (
            reverse("portal:commitments")
            + f"?committee={data['session'].committee.slug}&session={data['session'].pk}"
        ),
    ),
    ("department", lambda data: data["proposal"].lead_department.get_absolute_url()),
    ("feed", lambda data: reverse("portal:feed")),
    ("sitemap", lambda data: reverse("portal:sitemap")),
]


@pytest.mark.parametrize("name,url", PAGES, ids=[name for name, _url in PAGES])
def test_public_page_query_count_is_constant(client, name, url):
    """Every public page runs the same number of queries whatever the data size."""
    department = factories.DepartmentFactory(name="固定测试局")
    session = factories.SessionFactory()
    proposal = factories.ProposalFactory(session=session, lead_department=department)
    reply = factories.ReplyFactory(proposal=proposal)
    for number in (1, 2, 3):
        item = factories.CommitmentFactory(reply=reply, number=number)
        factories.TargetFactory(commitment=item)
        progress.post_update(commitment=item, status=CommitmentStatus.IN_PROGRESS)
    publication.publish_reply(reply=reply)
    data = {"proposal": proposal, "session": session}
    make_public_data(2, session=session)
    few = count_queries(client, url(data))
    make_public_data(6, session=session)
    for number in (4, 5, 6):
        item = factories.CommitmentFactory(reply=reply, number=number)
        factories.TargetFactory(commitment=item)
        progress.post_update(commitment=item, status=CommitmentStatus.FULFILLED)
    many = count_queries(client, url(data))
    assert many == few
    assert many <= 12, name


def test_seed_can_be_found_and_read(client, seed):
    response = client.get(reverse("portal:search"), {"q": "孵化器"})
    html = body(response)
    assert "关于强化科技创新引领" in html
    assert "<mark>孵化器</mark>" in html
    detail = body(client.get(seed.proposal.get_absolute_url()))
    assert detail.count('class="commitment"') == 5
    assert "关于“实施创新创业载体质量提升行动”" in detail
    assert "新增国家级科技企业孵化器3家" in detail
    assert "260万平方米" in detail
    assert "2025年12月31日" in detail
    assert "王坤" in detail


@pytest.mark.parametrize(
    "query", ["人才", "孵化", "孵化器", "科技创新", "第89号提案", "2021", "投贷联动", "才"]
)
def test_search_finds_every_text_containing_the_query(client, seed, query):
    html = text(client.get(reverse("portal:search"), {"q": query}))
    assert seed.proposal.title in html, query


@pytest.mark.parametrize("query", ["创新科技", "孵化人才", "知识产权融资质押", "火星基地"])
def test_search_does_not_match_scattered_parts(client, seed, query):
    html = text(client.get(reverse("portal:search"), {"q": query}))
    assert seed.proposal.title not in html, query
    assert "没有找到符合条件的提案" in html


def test_search_matches_substring_semantics_on_generated_texts(client):
    titles = {
        "创客人才培养": True,
        "人才队伍建设": True,
        "人员才能": False,
        "引进高层次人才。": True,
        "人，才": False,
    }
    session = factories.SessionFactory()
    for title in titles:
        reply = factories.ReplyFactory(
            proposal=factories.ProposalFactory(session=session, title=f"标题{title}号"), body=title
        )
        publication.publish_reply(reply=reply)
    html = text(client.get(reverse("portal:search"), {"q": "人才"}))
    for title, expected in titles.items():
        assert (f"标题{title}号" in html) is expected, title


def test_drafts_never_leak(client, seed):
    draft = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="草稿提案的秘密标题"),
        body="这是尚未公开的草稿答复，包含关键词孵化器。",
        published_at=None,
    )
    factories.CommitmentFactory(reply=draft, heading="草稿里的承诺")
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


def test_filters_facets_and_reset_link(client, seed):
    other = factories.ReplyFactory(classification="C")
    publication.publish_reply(reply=other)
    html = body(client.get(reverse("portal:search"), {"classification": "C"}))
    assert other.proposal.title in html
    assert seed.proposal.title not in html
    assert "清除全部筛选" in html
    html = body(client.get(reverse("portal:search")))
    assert "临沂市政协十五届五次会议（1）" in html


def test_unknown_filter_values_give_a_valid_page(client, seed):
    response = client.get(
        reverse("portal:search"), {"session": "abc", "status": "<script>", "year": "x"}
    )
    assert response.status_code == 200
    assert "<script>" not in body(response)


@pytest.mark.parametrize("page", ["-1", "0", "abc", "999"])
def test_bad_page_is_404(client, seed, page):
    assert client.get(reverse("portal:search"), {"page": page}).status_code == 404


def test_pagination_keeps_filters(client):
    session = factories.SessionFactory()
    make_public_data(25, session=session)
    html = body(client.get(reverse("portal:search"), {"session": session.pk}))
    assert f"session={session.pk}&amp;page=2" in html


def test_proposal_json_matches_page(client, seed):
    data = json.loads(body(client.get(seed.proposal.get_absolute_url() + "data.json")))
    assert data["number"] == "89"
    assert data["session"] == "十五届五次会议"
    assert data["proposers"] == ["王坤"]
    commitments = data["replies"][0]["commitments"]
    assert len(commitments) == 5
    assert data["url"].endswith(seed.proposal.get_absolute_url())
    assert {t["quantity"] for t in commitments[3]["targets"]} >= {3, 20, 260}


def test_commitments_csv_is_the_filtered_set(client, seed):
    text = body(client.get(reverse("portal:commitments-csv"), {"status": "not_started"}))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, rows = rows[0], rows[1:]
    assert "承诺" not in header[0]
    assert rows and all(row[header.index("状态")] == "未开始" for row in rows)
    assert all(row[header.index("网址")].startswith("http") for row in rows)


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


def test_healthz(client):
    assert client.get("/healthz").status_code == 200


def _select(page: str, name: str) -> str:
    start = page.index(f'<select name="{name}"')
    return page[start : page.index("</select>", start)]


def test_commitment_choices_are_the_chosen_committees(client):
    """Sessions and departments number thousands in a province: the list page offers
    those of the chosen committee only (and keeps a choice made by URL)."""
    first, second = factories.CommitteeFactory(name="甲市政协"), factories.CommitteeFactory()
    make_public_data(1, committee=first)
    make_public_data(1, committee=second)
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


def test_commitment_counts_are_shared_by_the_pages_of_a_filter(client):
    """Counting is the slow part at a million rows: page 2 of a filter reuses page 1's
    counts (the paginator's total included), until something is written."""
    make_public_data(26)  # 52 commitments: two pages of 50
    url = reverse("portal:commitments")
    first = client.get(url, {"status": "in_progress"})
    assert first.context["page"].paginator.count == 52
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url, {"status": "in_progress", "page": 2})
    assert len(second.context["page"].object_list) == 2
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    item = CommitmentItem.objects.first()
    progress.post_update(commitment=item, status=CommitmentStatus.FULFILLED)
    again = client.get(url, {"status": "in_progress", "page": 2})
    assert again.context["counts"]["total"] == 51


def test_search_without_matches_skips_the_facet_queries(client, seed):
    """Nothing matched: the page says so, and counts nothing over an empty set (on
    PostgreSQL the matched ids travel as one array, which Django cannot see is empty)."""
    from django.core.cache import cache

    def counting(query: str) -> tuple[list[str], str]:
        cache.clear()  # the page itself, not its cached copy
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("portal:search"), {"q": query})
        return [q["sql"] for q in context if "COUNT(" in q["sql"].upper()], body(response)

    empty, page = counting("火星基地")
    found, _page = counting("科技")
    assert "没有找到符合条件的提案" in page
    assert found and not empty
