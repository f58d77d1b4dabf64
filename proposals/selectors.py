"""Reads for the public pages. Every function here runs a fixed number of queries."""

import datetime
from collections import Counter
from typing import Any

from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from proposals.models import Department, Proposal, Session, Topic
from replies.models import (
    Classification,
    CommitmentItem,
    CommitmentStatus,
    CommitmentUpdate,
    Reply,
    Target,
)

OVERDUE = "overdue"


def public_replies() -> QuerySet[Reply]:
    return Reply.objects.published()


def public_commitments() -> QuerySet[CommitmentItem]:
    return CommitmentItem.objects.public()


def status_counts(
    commitments: QuerySet[CommitmentItem], today: datetime.date | None = None
) -> dict[str, int]:
    """Commitments per status plus the derived overdue count, in one query."""
    today = today or timezone.localdate()
    aggregates = {
        status: Count("pk", filter=Q(status=status)) for status in CommitmentStatus.values
    }
    aggregates[OVERDUE] = Count(
        "pk", filter=Q(due_on__lt=today) & ~Q(status=CommitmentStatus.FULFILLED)
    )
    aggregates["total"] = Count("pk")
    return commitments.aggregate(**aggregates)


def home_figures() -> dict[str, Any]:
    return {
        "replies": public_replies().count(),
        "commitments": status_counts(public_commitments()),
    }


def latest_replies(limit: int = 10) -> list[Reply]:
    return list(
        public_replies()
        .select_related("proposal__session__committee", "department")
        .order_by("-published_at", "-pk")[:limit]
    )


def proposal_by_path(*, committee: str, session: str, number: str) -> Proposal | None:
    """The proposal at /p/<committee>/<term-meeting or year>/<number>/, public or not."""
    lookup = Q(session__committee__slug=committee, number=number)
    if "-" in session:
        term, _sep, meeting = session.partition("-")
        if not (term.isdigit() and meeting.isdigit()):
            return None
        lookup &= Q(session__term=int(term), session__meeting=int(meeting))
    elif session.isdigit():
        lookup &= Q(session__term=0, session__year=int(session))
    else:
        return None
    return (
        Proposal.objects.filter(lookup)
        .select_related("session__committee", "lead_department")
        .annotate(is_public=Exists(public_replies().filter(proposal=OuterRef("pk"))))
        .first()
    )


def proposal_last_modified(proposal: Proposal) -> datetime.datetime:
    """The newest change to anything shown on a proposal's page, in one query."""
    now = timezone.now()
    times = Proposal.objects.filter(pk=proposal.pk).aggregate(
        reply=Max("replies__updated_at"),
        published=Max("replies__published_at", filter=Q(replies__published_at__lte=now)),
        commitment=Max("replies__commitments__updated_at"),
        update=Max("replies__commitments__updates__created_at"),
    )
    candidates = [proposal.updated_at, *(value for value in times.values() if value)]
    return max(candidates)


def proposal_page(proposal: Proposal, *, include_drafts: bool = False) -> dict[str, Any]:
    """What the proposal page and its JSON show: published replies only, unless asked."""
    replies = Reply.objects.filter(proposal=proposal)
    if not include_drafts:
        replies = replies.published()
    replies = (
        replies.select_related("department")
        .order_by("role", "letter_date", "pk")
        .prefetch_related(
            Prefetch(
                "commitments",
                queryset=CommitmentItem.objects.select_related("topic", "owner").prefetch_related(
                    Prefetch("targets", queryset=Target.objects.order_by("pk")),
                    Prefetch(
                        "updates",
                        queryset=CommitmentUpdate.objects.order_by("date", "created_at", "pk"),
                    ),
                ),
            )
        )
    )
    return {
        "proposal": proposal,
        "proposers": list(proposal.proposers.order_by("proposalproposer__position")),
        "co_departments": list(proposal.co_departments.all()),
        "topics": list(proposal.topics.all()),
        "replies": list(replies),
    }


def department_summary(department: Department) -> dict[str, Any]:
    commitments = public_commitments().filter(owner=department)
    return {
        "counts": status_counts(commitments),
        "replies": list(
            public_replies()
            .filter(department=department)
            .select_related("proposal__session__committee")
            .order_by("-letter_date", "-pk")[:50]
        ),
        "overdue": list(
            commitments.overdue()
            .select_related("reply__proposal__session__committee")
            .order_by("due_on")[:20]
        ),
    }


def proposal_facets(proposals: QuerySet[Proposal]) -> dict[str, list[dict[str, Any]]]:
    """Counts of the current matches per filter value: one grouped query per dimension."""
    ids = proposals.order_by().values("pk")
    by_session = (
        Proposal.objects.filter(pk__in=ids)
        .values(
            "session_id",
            "session__term",
            "session__meeting",
            "session__year",
            "session__committee__slug",
            "session__committee__name",
            "kind",
        )
        .annotate(n=Count("pk"))
    )
    sessions: Counter = Counter()
    committees: Counter = Counter()
    kinds: Counter = Counter()
    years: Counter = Counter()
    labels: dict = {}
    for row in by_session:
        session = Session(
            pk=row["session_id"],
            term=row["session__term"],
            meeting=row["session__meeting"],
            year=row["session__year"],
        )
        labels[row["session_id"]] = f"{row['session__committee__name']}{session.label}"
        labels[row["session__committee__slug"]] = row["session__committee__name"]
        sessions[row["session_id"]] += row["n"]
        committees[row["session__committee__slug"]] += row["n"]
        kinds[row["kind"]] += row["n"]
        if row["session__year"]:
            years[row["session__year"]] += row["n"]
    published = public_replies().filter(proposal__in=ids)
    departments = (
        published.values("department_id", "department__name")
        .annotate(n=Count("proposal", distinct=True))
        .order_by("-n", "department__name")
    )
    classes = (
        published.exclude(classification="")
        .values("classification")
        .annotate(n=Count("proposal", distinct=True))
    )
    topics = (
        Topic.objects.filter(proposals__in=ids)
        .values("key", "name")
        .annotate(n=Count("proposals", distinct=True))
        .order_by("-n", "name")
    )
    commitments = public_commitments().filter(reply__proposal__in=ids)
    statuses = commitments.values("status").annotate(n=Count("reply__proposal", distinct=True))
    overdue = commitments.overdue().aggregate(n=Count("reply__proposal", distinct=True))["n"]
    kind_labels = dict(Proposal.Kind.choices)
    class_labels = dict(Classification.choices)
    status_labels = dict(CommitmentStatus.choices)
    return {
        "committee": [
            {"value": slug, "label": labels[slug], "count": n}
            for slug, n in committees.most_common()
        ],
        "session": [
            {"value": str(pk), "label": labels[pk], "count": n} for pk, n in sessions.most_common()
        ],
        "kind": [
            {"value": kind, "label": kind_labels.get(kind, kind), "count": n}
            for kind, n in kinds.most_common()
        ],
        "year": [
            {"value": str(year), "label": f"{year}年", "count": n}
            for year, n in sorted(years.items(), reverse=True)
        ],
        "department": [
            {
                "value": str(row["department_id"]),
                "label": row["department__name"],
                "count": row["n"],
            }
            for row in departments
        ],
        "classification": [
            {
                "value": row["classification"],
                "label": class_labels.get(row["classification"], row["classification"]),
                "count": row["n"],
            }
            for row in sorted(classes, key=lambda r: r["classification"])
        ],
        "topic": [{"value": row["key"], "label": row["name"], "count": row["n"]} for row in topics],
        "status": [
            {"value": row["status"], "label": status_labels[row["status"]], "count": row["n"]}
            for row in sorted(statuses, key=lambda r: CommitmentStatus.values.index(r["status"]))
        ]
        + ([{"value": OVERDUE, "label": "已逾期", "count": overdue}] if overdue else []),
    }


def search_results(page_proposals: list[Proposal]) -> list[Proposal]:
    """Attach what a result row shows (proposers, published replies) with two queries."""
    prefetch_related_objects(
        page_proposals,
        Prefetch("proposers"),
        Prefetch(
            "replies",
            queryset=Reply.objects.published().select_related("department").order_by("pk"),
            to_attr="public_replies",
        ),
    )
    return page_proposals


def with_public_commitment_status(queryset: QuerySet[Proposal], status: str) -> QuerySet[Proposal]:
    commitments = public_commitments().filter(reply__proposal=OuterRef("pk"))
    commitments = commitments.overdue() if status == OVERDUE else commitments.filter(status=status)
    return queryset.filter(Exists(commitments))
