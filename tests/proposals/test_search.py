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


def test_a_query_word_may_begin_or_end_inside_a_word():
    """A word of the text is indexed with its suffixes (marked ~): a query's first word may
    be the end of a word, its last word the start of one; a word between two Chinese
    characters is whole."""
    assert search.to_tsquery("89号") == "(('89' | '~89') <-> '号':*)"
    assert search.to_tsquery("G基站") == "(('g' | '~g') <-> '基站')"
    assert search.to_tsquery("5G") == "(('5g':* | '~5g':*))"
    assert search.tsvector_literal("第189号") == "'第':1 '189':2 '~89':2 '~9':2 '号':3"


def test_an_oversized_text_is_indexed_up_to_the_limit():
    words = " ".join(f"{index:060d}" for index in range(2000))
    vector, complete = search.vector_of("人才" + words)
    assert not complete
    assert len(vector.encode("utf-8")) > search.MAX_LEXEME_BYTES / 2
    assert vector.startswith("'人才':1 '才':2 ")
    assert search.vector_of("人才" + words[:600]) == (
        search.tsvector_literal("人才" + words[:600]),
        True,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("89号", {"第189号", "第89号"}),
        ("第89号", {"第89号"}),
        ("号189", {"号1890"}),
        ("号89", set()),
        ("G基站", {"5G基站"}),
        ("5g", {"5G基站", "15G网络"}),
        ("D022", {"编号D0221"}),
        ("022", {"编号D0221"}),
        ("基站", {"5G基站"}),
    ],
)
def test_a_substring_of_any_script_finds_exactly_the_texts_that_contain_it(query, found):
    """As LIKE would, on PostgreSQL from the index (SQLite matches the text itself)."""
    texts = ["第189号", "第89号", "5G基站", "15G网络", "编号D0221", "号1890"]
    proposals = {}
    for text in texts:
        reply = factories.ReplyFactory(body=f"答复内容：{text}。", published_at=None)
        publication.publish_reply(reply=reply)
        proposals[reply.proposal_id] = text
    matched = selectors.search_proposals(Proposal.objects.all(), query)
    assert {proposals[proposal.pk] for proposal in matched} == found


@pytest.mark.django_db
def test_the_reindex_command_rebuilds_every_vector():
    """After an upgrade that changes the index format, ``manage.py reindex_search`` brings
    the stored vectors up to it."""
    import io

    from django.core.management import call_command

    reply = factories.ReplyFactory(body="答复内容：5G基站。", published_at=None)
    publication.publish_reply(reply=reply)
    Proposal.objects.update(search_vector=None, replied_on=None)
    out = io.StringIO()
    call_command("reindex_search", stdout=out)
    assert "已重建 1 件" in out.getvalue()
    assert Proposal.objects.get().replied_on is not None
    assert list(selectors.search_proposals(Proposal.objects.all(), "G基站")) == [reply.proposal]
