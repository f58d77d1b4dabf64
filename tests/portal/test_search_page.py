"""portal.views.public.proposal_search: the public search page; what it finds, its
filters, facets, sorting and pages, and its fixed query counts."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proposals import search
from replies.services import publication
from tests import factories
from tests.helpers import body, text

pytestmark = pytest.mark.django_db

PAGES = {
    "search": lambda data: reverse("portal:search"),
    "search-q": lambda data: reverse("portal:search") + "?q=科技&sort=relevance",
    "search-q-filtered": lambda data: (
        reverse("portal:search") + "?q=科技&sort=newest&classification=B"
    ),
    "search-filtered": lambda data: (
        reverse("portal:search")
        + f"?session={data['session'].pk}&status=in_progress&classification=B"
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_query_count_is_constant(page_queries, name):
    """Every page runs the same few queries, uncached, whatever the data size: at most ten."""
    few, many = page_queries(PAGES[name])
    assert many == few
    assert many <= 10, name


def test_search_finds_and_highlights_the_seed(client, seed):
    html = body(client.get(reverse("portal:search"), {"q": "孵化器"}))
    assert "关于强化科技创新引领" in html
    assert "<mark>孵化器</mark>" in html


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


def test_filters_facets_and_reset_link(client, seed):
    other = factories.ReplyFactory(classification="C")
    publication.publish_reply(reply=other)
    html = body(client.get(reverse("portal:search"), {"classification": "C"}))
    assert other.proposal.title in html
    assert seed.proposal.title not in html
    assert "清除全部筛选" in html
    html = body(client.get(reverse("portal:search")))
    assert "临沂市政协十五届五次会议（1）" in html


def test_page_past_the_last_is_404(client, seed):
    """Pages that are not numbers, or below 1, are the hostile input suite's."""
    assert client.get(reverse("portal:search"), {"page": "999"}).status_code == 404


def test_pagination_keeps_filters(client, public_data):
    session = factories.SessionFactory()
    public_data(25, session=session)
    html = body(client.get(reverse("portal:search"), {"session": session.pk}))
    assert f"session={session.pk}&amp;page=2" in html


def test_search_without_matches_skips_the_facet_queries(client, seed):
    """Nothing matched: the page says so, and counts nothing over an empty set (on
    PostgreSQL the matched ids travel as one array, which Django cannot see is empty)."""

    def counting(query: str) -> tuple[list[str], str]:
        cache.clear()  # the page itself, not its cached copy
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("portal:search"), {"q": query})
        return [q["sql"] for q in context if "COUNT(" in q["sql"].upper()], body(response)

    empty, page = counting("火星基地")
    found, _page = counting("科技")
    assert "没有找到符合条件的提案" in page
    assert found and not empty


def _publish(title: str, body: str, **kwargs):
    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title=title, **kwargs), body=body, published_at=None
    )
    publication.publish_reply(reply=reply)
    return reply


@pytest.mark.django_db
def test_counts_past_the_match_limit_say_so(client, monkeypatch):
    """Beyond MATCH_LIMIT matches a search says "N+" instead of counting them all."""
    monkeypatch.setattr(search, "MATCH_LIMIT", 3)
    session = factories.SessionFactory()
    for n in range(5):
        _publish(f"关于养老服务的建议{n}", "推进社区养老服务设施建设", session=session)
    html = client.get("/proposals/", {"q": "养老"}).content.decode()
    assert "找到 3+ 件" in html
    assert "（3+）" in html  # facet counts are lower bounds too
    html = client.get("/proposals/", {"q": "养老", "session": session.pk}).content.decode()
    assert "找到 3+ 件" in html
    monkeypatch.setattr(search, "MATCH_LIMIT", 10)
    cache.clear()  # the same data gives the same cached page
    html = client.get("/proposals/", {"q": "养老"}).content.decode()
    assert "找到 5 件" in html
    assert "（5）" in html


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_every_sort_pages_through_all_matches_below_the_limit(client, monkeypatch, sort):
    monkeypatch.setattr("portal.views.public.RESULTS_PER_PAGE", 2)
    session = factories.SessionFactory()
    titles = {f"关于加快充电桩建设的建议{n}" for n in range(5)}
    for title in titles:
        _publish(title, "新建充电桩", session=session)
    seen = set()
    for page in (1, 2, 3):
        html = client.get("/proposals/", {"q": "充电桩", "sort": sort, "page": page})
        seen |= {
            t
            for t in titles
            if t in html.content.decode().replace("<mark>", "").replace("</mark>", "")
        }
    assert seen == titles


@pytest.mark.django_db
def test_a_query_that_is_a_proposal_number_puts_that_proposal_first(client):
    """第89号, 89 or D022 (as typed, any case) puts the proposal with that number first,
    whatever the sort by relevance would say; other matches follow."""
    numbered = {}
    for number in ("89", "189", "D022"):
        proposal = factories.ProposalFactory(number=number, title=f"关于第{number}号事项的建议")
        reply = factories.ReplyFactory(
            proposal=proposal, body=f"答复内容，提及第{number}号和89号。", published_at=None
        )
        publication.publish_reply(reply=reply)
        numbered[number] = proposal
    for query, first in (("第89号", "89"), ("89", "89"), ("d022", "D022"), ("189", "189")):
        response = client.get("/proposals/", {"q": query})
        assert response.status_code == 200
        results = list(response.context["page"].object_list)
        assert results and results[0].pk == numbered[first].pk, query
    # Not a number: no pinning, ordinary results.
    response = client.get("/proposals/", {"q": "事项"})
    assert len(response.context["page"].object_list) == 3


@pytest.mark.django_db
def test_a_common_word_lists_the_newest_matches_first_not_the_lowest_ids(client, monkeypatch):
    """More matches than are ranked (a common word): page 1 is the newest of all matches,
    not a ranking of the first ones the index yields (the lowest ids)."""
    import datetime

    monkeypatch.setattr(search, "MATCH_LIMIT", 2)
    monkeypatch.setattr(search, "PHRASE_MATCH_LIMIT", 2)
    proposals = []
    for day in (1, 2, 3, 4, 5):  # the lowest id is the oldest letter
        reply = factories.ReplyFactory(
            body="加强人才队伍建设。", letter_date=datetime.date(2021, 3, day), published_at=None
        )
        publication.publish_reply(reply=reply)
        proposals.append(reply.proposal)
    response = client.get("/proposals/", {"q": "人才"})
    shown = [proposal.pk for proposal in response.context["page"].object_list]
    # The page lists as many as were counted ("2+"), the newest of all five.
    assert shown == [proposals[4].pk, proposals[3].pk]
