"""proposals.search: the tokeniser shared by documents and queries, tsquery building,
snippets, and index use and planner switches on PostgreSQL."""

import pytest
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
