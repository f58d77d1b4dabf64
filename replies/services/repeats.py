"""此前相关提案: the precomputed links from a proposal to the earlier proposals of its
committee about the same problem (``proposals.RelatedProposal``).

``refresh`` recomputes the links of a few proposals, in both directions (the earlier ones
a proposal repeats, and the later ones that repeat it); the write paths call it when a
proposal's title or session or its published text changes. ``rebuild`` recomputes a whole
committee (the nightly job and ``manage.py refresh_repeats``).

Candidates are bounded so that either stays cheap at 100k proposals: only the committee's
proposals of other sessions whose title shares at least ``MIN_SHARED_TOKENS`` content
pairs, at most ``CANDIDATE_LIMIT`` of them (most shared pairs first), are scored.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.dispatch import Signal

from core.versioning import bump_public_version
from proposals.models import Proposal, RelatedProposal, Session
from proposals.repeats import (
    MIN_SHARED_TOKENS,
    Fingerprint,
    content_tokens,
    fingerprint,
    is_earlier,
    is_repeat,
    session_key,
)
from replies.models import CommitmentItem, published_q

# Scored candidates per proposal: the most alike titles come first, and a repeat shares
# more pairs than all but a few others.
CANDIDATE_LIMIT = 100
# A title's pairs asked for in the candidate query (a long title's first ones suffice).
QUERY_TOKENS = 24
# In a rebuild, pairs found in more titles than this are skipped when gathering candidates
# (they still count in the score): 城市 or 农村 alone would make every title a candidate.
POSTING_LIMIT = 2000
REBUILD_BATCH = 5000
SESSION_FIELDS = ("session_id", "session__year", "session__term", "session__meeting")


def _session_keys(committee_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    return {
        pk: session_key(year=year, term=term, meeting=meeting)
        for pk, year, term, meeting in Session.objects.filter(
            committee_id__in=list(committee_ids)
        ).values_list("pk", "year", "term", "meeting")
    }


def _texts(proposal_ids: Iterable[int]) -> dict[int, list[str]]:
    """The published replies' section headings of each proposal: its suggestions as the
    reply restates them. Drafts never count (a public link must not come from them)."""
    texts: dict[int, list[str]] = defaultdict(list)
    ids = list(proposal_ids)
    for start in range(0, len(ids), REBUILD_BATCH):
        rows = CommitmentItem.objects.filter(
            published_q("reply__"), reply__proposal_id__in=ids[start : start + REBUILD_BATCH]
        ).values_list("reply__proposal_id", "heading")
        for proposal_id, heading in rows:
            if heading:
                texts[proposal_id].append(heading)
    return texts


def _candidates(proposal: dict, tokens: frozenset[str]) -> list[dict]:
    """The committee's proposals of other sessions whose titles share the most content
    pairs with this one's: one query, filtered on the titles themselves."""
    asked = sorted(tokens)[:QUERY_TOKENS]
    if len(asked) < MIN_SHARED_TOKENS:
        return []
    shared = sum(
        (
            Case(
                When(title__contains=token, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for token in asked[1:]
        ),
        start=Case(
            When(title__contains=asked[0], then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    return list(
        Proposal.objects.filter(session__committee_id=proposal["session__committee_id"])
        .exclude(session_id=proposal["session_id"])
        .annotate(shared=shared)
        .filter(shared__gte=MIN_SHARED_TOKENS)
        .order_by("-shared", "-pk")
        .values("pk", "title", *SESSION_FIELDS)[:CANDIDATE_LIMIT]
    )


def _key(row: dict) -> tuple[int, int, int]:
    return session_key(
        year=row["session__year"], term=row["session__term"], meeting=row["session__meeting"]
    )


@transaction.atomic(savepoint=False)
def refresh(proposal_ids: Iterable[int]) -> int:
    """Recompute the links of these proposals, to earlier and to later ones alike, in
    3 queries and one per proposal, and move the page version of the pages whose list
    changed. Returns how many links they have now."""
    count, pages = relink(proposal_ids)
    Proposal.objects.filter(pk__in=pages).touch_pages()
    return count


@transaction.atomic(savepoint=False)
def relink(proposal_ids: Iterable[int]) -> tuple[int, set[int]]:
    """``refresh`` without touching pages: how many links, and the proposals whose page
    lists 此前相关提案 it no longer lists, or lists now — for a caller that moves page
    versions itself (``rollups.public_change(proposals=…)``), once."""
    ids = list(dict.fromkeys(proposal_ids))
    if not ids:
        return 0, set()
    proposals = list(
        Proposal.objects.filter(pk__in=ids).values(
            "pk", "title", "session__committee_id", *SESSION_FIELDS
        )
    )
    stale = RelatedProposal.objects.filter(Q(proposal_id__in=ids) | Q(earlier_id__in=ids))
    listed_before = set(stale.values_list("proposal_id", flat=True))
    stale.delete()
    candidates = {row["pk"]: _candidates(row, content_tokens(row["title"])) for row in proposals}
    # One read of the texts for the proposals and all their candidates.
    texts = _texts(
        {row["pk"] for row in proposals}
        | {other["pk"] for found in candidates.values() for other in found}
    )
    links: dict[tuple[int, int], RelatedProposal] = {}
    for row in proposals:
        own = fingerprint(row["title"], texts.get(row["pk"], ()))
        for candidate in candidates[row["pk"]]:
            repeat, score = is_repeat(
                own, fingerprint(candidate["title"], texts.get(candidate["pk"], ()))
            )
            if not repeat:
                continue
            if is_earlier(_key(candidate), _key(row)):
                later, earlier = row["pk"], candidate["pk"]
            elif is_earlier(_key(row), _key(candidate)):
                later, earlier = candidate["pk"], row["pk"]
            else:
                continue
            links[(later, earlier)] = RelatedProposal(
                proposal_id=later, earlier_id=earlier, score=round(score, 4)
            )
    if links:
        RelatedProposal.objects.bulk_create(links.values())
    # The pages that list 此前相关提案 they no longer list, or list now: the caller's
    # version bump (its public change) follows.
    return len(links), listed_before | {later for later, _earlier in links}


# Sent after a commit with ``proposal_ids`` whose links a job should refresh (the replies
# app queues ``replies.tasks.refresh_repeats``; eager without Redis).
refresh_requested = Signal()


def refresh_after_commit(proposal_ids: Iterable[int]) -> None:
    """``refresh`` these proposals' links in a job once the caller's transaction commits
    (a batch import); nothing if it rolls back."""
    ids = list(dict.fromkeys(proposal_ids))
    if ids:
        transaction.on_commit(lambda: refresh_requested.send(sender=None, proposal_ids=ids))


def rebuild(committee_ids: Iterable[int] | None = None) -> int:
    """Recompute every link of these committees (of all, by default), one committee per
    transaction: pages read a committee's links old or new, never half-written. Titles are
    matched in memory through an index of their pairs. Returns the number of links."""
    if committee_ids is None:
        committee_ids = Session.objects.order_by().values_list("committee_id", flat=True).distinct()
    total = 0
    for committee_id in sorted(set(committee_ids)):
        with transaction.atomic():
            total += _rebuild_committee(committee_id)
    return total


def _rebuild_committee(committee_id: int) -> int:
    keys = _session_keys([committee_id])
    rows = list(
        Proposal.objects.filter(session__committee_id=committee_id)
        .order_by("pk")
        .values_list("pk", "session_id", "title")
    )
    texts = _texts(pk for pk, _session, _title in rows)
    prints: list[Fingerprint] = [
        fingerprint(title, texts.get(pk, ())) for pk, _session, title in rows
    ]
    postings: dict[str, list[int]] = defaultdict(list)
    for index, print_ in enumerate(prints):
        for token in print_.title:
            postings[token].append(index)
    links: list[RelatedProposal] = []
    for index, (pk, session_id, _title) in enumerate(rows):
        shared: Counter[int] = Counter()
        for token in prints[index].title:
            posting = postings[token]
            if len(posting) <= POSTING_LIMIT:
                shared.update(posting)
        shared.pop(index, None)
        candidates = [
            other
            for other, count in sorted(shared.items(), key=lambda item: (-item[1], -item[0]))
            # Each pair once: from the later proposal (its earlier ones are its candidates).
            if count >= MIN_SHARED_TOKENS and is_earlier(keys[rows[other][1]], keys[session_id])
        ][:CANDIDATE_LIMIT]
        for other in candidates:
            other_pk = rows[other][0]
            repeat, score = is_repeat(prints[index], prints[other])
            if repeat:
                links.append(
                    RelatedProposal(proposal_id=pk, earlier_id=other_pk, score=round(score, 4))
                )
    current = RelatedProposal.objects.filter(proposal__session__committee_id=committee_id)
    before = set(current.values_list("proposal_id", "earlier_id", "score"))
    current.delete()
    RelatedProposal.objects.bulk_create(links, batch_size=REBUILD_BATCH)
    # Only the pages whose list changed are stale (the list is ordered by score).
    after = {(link.proposal_id, link.earlier_id, link.score) for link in links}
    changed = {later for later, _earlier, _score in before ^ after}
    if changed:
        Proposal.objects.filter(pk__in=changed).touch_pages()
        bump_public_version(scoped=True)
    return len(links)
