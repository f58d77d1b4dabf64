"""What is derived from a proposal's published replies: ``replied_on`` and the search vector."""

from collections.abc import Iterable

from django.db import connection

from proposals.models import Proposal, ProposalProposer
from proposals.search import document_text, uses_tsvector, vector_of
from replies.models import Reply


def reindex_proposals(proposal_ids: Iterable[int]) -> set[int]:
    """Refresh what is derived from a proposal's published replies.

    ``is_public`` (it has one) and ``replied_on`` (the newest dated letter's date) on every
    database; the search vector on PostgreSQL only (SQLite searches the text itself). Three reads for any
    number of proposals, then one write for all of them on PostgreSQL (one each on SQLite).
    Returns the proposals whose public text is too long for the index: searchable only up
    to PostgreSQL's limit (``Proposal.search_partial``).
    """
    ids = list(proposal_ids)
    proposals = {
        pk: (title, number)
        for pk, title, number in Proposal.objects.filter(pk__in=ids).values_list(
            "pk", "title", "number"
        )
    }
    proposers: dict[int, list[str]] = {pk: [] for pk in proposals}
    # In the order the letter lists them, as generate_data writes them too.
    for proposal_id, name in (
        ProposalProposer.objects.filter(proposal_id__in=ids)
        .order_by("proposal_id", "position", "pk")
        .values_list("proposal_id", "proposer__name")
    ):
        proposers[proposal_id].append(name)
    replies: dict[int, list[tuple]] = {pk: [] for pk in proposals}
    for row in (
        Reply.objects.published()
        .filter(proposal_id__in=ids)
        .order_by("pk")
        .values_list(
            "proposal_id",
            "letter_date",
            "title",
            "doc_number",
            "department__name",
            "public_body",
        )
    ):
        replies[row[0]].append(row[1:])
    rows = []
    for pk, (title, number) in proposals.items():
        # The letters' own dates only: an undated letter gives none (not the day it was
        # imported or published here), so it never sorts as the newest reply.
        dates = [day for day, *_r in replies[pk] if day is not None]
        replied_on = max(dates, default=None)
        public = bool(replies[pk])
        if not uses_tsvector():
            Proposal.objects.filter(pk=pk).update(replied_on=replied_on, is_public=public)
            continue
        text = document_text(
            title=title,
            number=number,
            proposers=proposers[pk],
            replies=[tuple(reply[1:]) for reply in replies[pk]],
        )
        vector, complete = vector_of(text)
        rows.append((pk, replied_on, public, vector, not complete))
    if rows:
        # One statement for all (a batch import reindexes a hundred proposals at once).
        pks, dates, public, vectors, partial = zip(*rows, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE proposals_proposal AS p"
                " SET replied_on = v.replied_on, is_public = v.is_public,"
                " search_vector = v.vector::tsvector, search_partial = v.partial"
                " FROM unnest(%s::bigint[], %s::date[], %s::boolean[], %s::text[],"
                " %s::boolean[]) AS v(id, replied_on, is_public, vector, partial)"
                " WHERE p.id = v.id",
                [list(pks), list(dates), list(public), list(vectors), list(partial)],
            )
    # The proposals whose text is searchable only in part (too long for the index).
    return {row[0] for row in rows if row[4]}
