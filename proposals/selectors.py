"""Reads for the public pages. Every function here runs a fixed number of queries."""

import datetime
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

from django.core.cache import cache
from django.db import connection
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
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from proposals import search
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


# The last version read, kept for VERSION_SECONDS: a page served from the cache then costs
# no query at all. Any save or delete in this process forgets it at once (so a clerk sees
# their own publication immediately); other processes see a write within VERSION_SECONDS.
VERSION_SECONDS = 1.0
_version: dict[str, Any] = {}


def forget_public_data_version(**kwargs: Any) -> None:
    _version.clear()


post_save.connect(forget_public_data_version, dispatch_uid="public_data_version_save")
post_delete.connect(forget_public_data_version, dispatch_uid="public_data_version_delete")


def public_data_version() -> str:
    """Changes whenever a proposal, reply, commitment or update is written: one query.

    Each maximum is read from an index (migration 0004) on PostgreSQL; saves bump
    ``updated_at`` (publishing and unpublishing too) and updates are append-only.
    """
    now = time.monotonic()
    if _version and now - _version["at"] < VERSION_SECONDS:
        return _version["value"]
    tables = [
        (Proposal._meta.db_table, "updated_at"),
        (Reply._meta.db_table, "updated_at"),
        (CommitmentItem._meta.db_table, "updated_at"),
        (CommitmentUpdate._meta.db_table, "created_at"),
    ]
    sql = "SELECT " + ", ".join(f"(SELECT max({column}) FROM {table})" for table, column in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        value = "|".join(str(value) for value in cursor.fetchone())
    _version.update(value=value, at=now)
    return value


def cached_until_write(name: str, parts: Iterable[Any], compute: Callable[[], Any]) -> Any:
    """``compute()``, cached until anything public is written or the day changes.

    For roll-ups that read every row in scope (a second at province scale): the key holds
    ``public_data_version()`` and today's date (overdue counts change at midnight), so a
    publication, import or update shows at once; entries also expire after ten minutes.
    """
    scope = "|".join(
        [public_data_version(), timezone.localdate().isoformat(), *(str(p) for p in parts)]
    )
    key = f"{name}:" + hashlib.sha256(scope.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ROLLUP_CACHE_SECONDS)
    return value


ROLLUP_CACHE_SECONDS = 600


def home_figures() -> dict[str, Any]:
    return {
        "replies": public_replies().count(),
        "commitments": status_counts(public_commitments()),
    }


def latest_replies(limit: int = 10) -> list[Reply]:
    return list(
        public_replies()
        .select_related("proposal__session__committee", "department")
        .defer("proposal__search_vector")
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
        .defer("search_vector")
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
            .defer("proposal__search_vector")
            .order_by("-letter_date", "-pk")[:50]
        ),
        "overdue": list(
            commitments.overdue()
            .select_related("reply__proposal__session__committee")
            .defer("reply__proposal__search_vector")
            .order_by("due_on")[:20]
        ),
    }


def proposal_facets(matches: list[dict], *, capped: bool = False) -> dict[str, list[dict]]:
    """Counts per filter value over ``matches`` (rows of ``search.first_matches``).

    Three queries; sessions, committees, kinds and years come with the rows. When there
    were more matches than rows (``capped``), each count is a lower bound and reads "12+"
    (and the caller may pass only the first few hundred rows: lower bounds all the same).
    No matches, no queries and no lists.
    """
    if not matches:
        return {}
    ids = search.id_list([row["pk"] for row in matches])
    sessions: Counter = Counter()
    committees: Counter = Counter()
    kinds: Counter = Counter()
    years: Counter = Counter()
    labels: dict = {}
    for row in matches:
        if row["session_id"] not in labels:
            # Session.label without building a model instance per row.
            term, meeting, year = (
                row["session__term"],
                row["session__meeting"],
                row["session__year"],
            )
            session = SimpleNamespace(term=term, meeting=meeting, year=year, is_named=term > 0)
            label = Session.label.fget(session)
            labels[row["session_id"]] = f"{row['session__committee__name']}{label}"
            labels[row["session__committee__slug"]] = row["session__committee__name"]
        sessions[row["session_id"]] += 1
        committees[row["session__committee__slug"]] += 1
        kinds[row["kind"]] += 1
        if row["session__year"]:
            years[row["session__year"]] += 1
    # Departments and classes from one pass over the published replies of the matches.
    department_proposals: dict[int, set] = {}
    department_names: dict[int, str] = {}
    class_proposals: dict[str, set] = {}
    replies = public_replies().filter(proposal__in=ids)
    for proposal_id, department_id, name, classification in replies.values_list(
        "proposal_id", "department_id", "department__name", "classification"
    ):
        department_proposals.setdefault(department_id, set()).add(proposal_id)
        department_names[department_id] = name
        if classification:
            class_proposals.setdefault(classification, set()).add(proposal_id)
    topics = (
        Topic.objects.filter(proposals__in=ids)
        .values("key", "name")
        .annotate(n=Count("proposals", distinct=True))
        .order_by("-n", "name")
    )
    today = timezone.localdate()
    per_proposal = {"distinct": True}
    statuses = (
        public_commitments()
        .filter(reply__proposal__in=ids)
        .aggregate(
            **{
                status: Count("reply__proposal", filter=Q(status=status), **per_proposal)
                for status in CommitmentStatus.values
            },
            overdue=Count(
                "reply__proposal",
                filter=Q(due_on__lt=today) & ~Q(status=CommitmentStatus.FULFILLED),
                **per_proposal,
            ),
        )
    )
    overdue = statuses.pop(OVERDUE)
    kind_labels = dict(Proposal.Kind.choices)
    class_labels = dict(Classification.choices)
    status_labels = dict(CommitmentStatus.choices)

    def count(n: int) -> int | str:
        return f"{n}+" if capped else n

    departments = sorted(
        department_proposals.items(), key=lambda item: (-len(item[1]), department_names[item[0]])
    )
    return {
        "committee": [
            {"value": slug, "label": labels[slug], "count": count(n)}
            for slug, n in committees.most_common()
        ],
        "session": [
            {"value": str(pk), "label": labels[pk], "count": count(n)}
            for pk, n in sessions.most_common()
        ],
        "kind": [
            {"value": kind, "label": kind_labels.get(kind, kind), "count": count(n)}
            for kind, n in kinds.most_common()
        ],
        "year": [
            {"value": str(year), "label": f"{year}年", "count": count(n)}
            for year, n in sorted(years.items(), reverse=True)
        ],
        "department": [
            {"value": str(pk), "label": department_names[pk], "count": count(len(members))}
            for pk, members in departments
        ],
        "classification": [
            {
                "value": value,
                "label": class_labels.get(value, value),
                "count": count(len(members)),
            }
            for value, members in sorted(class_proposals.items())
        ],
        "topic": [
            {"value": row["key"], "label": row["name"], "count": count(row["n"])} for row in topics
        ],
        "status": [
            {"value": status, "label": status_labels[status], "count": count(n)}
            for status, n in statuses.items()
            if n
        ]
        + ([{"value": OVERDUE, "label": "已逾期", "count": count(overdue)}] if overdue else []),
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
