"""The tokeniser shared by documents and queries, snippets, and index use on PostgreSQL."""

import pytest
from django.core.cache import cache
from django.db import connection

from proposals import search
from proposals.models import Proposal
from replies import selectors
from replies.selectors import public_proposals
from replies.services import publication
from tests import factories


def test_documents_become_overlapping_pairs_plus_last_character():
    assert search.tokenize("科技创新") == ["科技", "技创", "创新", "新"]
    assert search.tokenize("第89号提案，5G网络") == [
        "第",
        "89",
        "号提",
        "提案",
        "案",
        "5g",
        "网络",
        "络",
    ]


def test_full_width_forms_fold_to_half_width():
    assert search.tokenize("ＡＢＣ１２３") == search.tokenize("abc123")


def test_query_mirrors_document_positions():
    assert search.to_tsquery("孵化器") == "('孵化' <-> '化器')"
    assert search.to_tsquery("才") == "('才':*)"
    assert search.to_tsquery("第89号") == "('第' <-> '89' <-> '号':*)"
    assert search.to_tsquery("人才 孵化") == "('人才') & ('孵化')"
    assert search.to_tsquery("！？") == ""


def test_tsvector_literal_lists_positions():
    assert search.tsvector_literal("人才人才") == "'人才':1,3 '才人':2 '才':4"


def test_snippet_marks_matches_and_escapes():
    text = "前言" * 50 + "加强<b>人才</b>队伍建设" + "结语" * 50
    snippet = search.snippet(text, "人才")
    assert "<mark>人才</mark>" in snippet
    assert "&lt;b&gt;" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")


def test_highlight_is_width_insensitive():
    assert search.highlight("５Ｇ网络", "5g") == "<mark>５Ｇ</mark>网络"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="tsvector search is PostgreSQL's")
def test_search_uses_the_gin_index():
    reply = factories.ReplyFactory(body="力争新增国家级科技企业孵化器3家")
    publication.publish_reply(reply=reply)
    queryset = selectors.search_proposals(Proposal.objects.all(), "孵化器")
    assert list(queryset) == [reply.proposal]
    with connection.cursor() as cursor:
        # Tiny tables make a sequential scan cheapest; forbid it to see whether the index can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "proposal_search_vector_gin" in plan, plan


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner switches are PostgreSQL's")
def test_bitmap_only_matching_leaves_the_planner_as_it_was(client):
    """The search's first-matches query turns index and sequential scans off for itself
    only: on a persistent connection, a later request must plan as usual."""
    reply = factories.ReplyFactory(body="力争新增国家级科技企业孵化器3家")
    publication.publish_reply(reply=reply)
    rows, capped = search.first_matches(
        selectors.search_proposals(public_proposals(), "孵化器"), searched=True
    )
    assert [row["pk"] for row in rows] == [reply.proposal_id] and not capped
    assert client.get("/proposals/", {"q": "孵化器"}).status_code == 200

    def settings() -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('enable_indexscan'), current_setting('enable_seqscan')"
            )
            return cursor.fetchone()

    assert settings() == ("on", "on")
    # A failing query resets them too (outside a transaction nothing else would).
    broken = public_proposals().extra(where=["1/0 = 1"])  # noqa: S610 - a constant
    with pytest.raises(Exception):  # noqa: B017, PT011 - the database's division error
        search.first_matches(selectors.search_proposals(broken, "孵化器"), searched=True)
    assert settings() == ("on", "on")


def _text(response) -> str:
    return response.content.decode().replace("<mark>", "").replace("</mark>", "")


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
def test_cached_pages_change_when_a_reply_is_published(client):
    """Public pages are cached, and publishing changes what they show at once."""
    first = _publish("关于建设口袋公园的建议", "建设口袋公园")
    url = "/proposals/?q=口袋公园"
    assert first.proposal.title in _text(client.get(url))
    draft = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="关于口袋公园管护的建议"),
        body="加强口袋公园管护",
        published_at=None,
    )
    assert "管护" not in _text(client.get(url))
    publication.publish_reply(reply=draft)
    assert "关于口袋公园管护的建议" in _text(client.get(url))
    publication.withdraw_reply(reply=draft, reason="测试：撤回", actor=None)
    assert "关于口袋公园管护的建议" not in _text(client.get(url))
    home = client.get("/").content.decode()
    publication.publish_reply(reply=draft)
    assert client.get("/").content.decode() != home


@pytest.mark.django_db
def test_pages_run_few_queries_without_the_cache(client):
    """Uncached, the busiest pages stay within ten queries (the cache only lowers that)."""
    from django.test.utils import CaptureQueriesContext

    reply = _publish("关于完善养老服务体系的建议", "完善养老服务体系，新建养老机构3家")
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
