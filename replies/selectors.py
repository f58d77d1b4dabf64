"""Reads: public pages, search results, the dashboard's roll-ups and members' proposals.

Every function here runs a fixed number of queries.
"""

import datetime
from collections import Counter
from types import SimpleNamespace
from typing import Any

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from core.caching import cached_until_write
from proposals import search
from proposals.models import Committee, Department, Proposal, Session, Topic
from replies.models import (
    Classification,
    CommitmentItem,
    CommitmentStatus,
    CommitmentUpdate,
    DeadlineChange,
    Reply,
    Satisfaction,
    Target,
)

OVERDUE = "overdue"


def public_proposals() -> QuerySet[Proposal]:
    """Proposals with at least one published reply: the only ones citizens see."""
    return Proposal.objects.public()


def search_proposals(queryset: QuerySet[Proposal], query: str) -> QuerySet[Proposal]:
    """Proposals whose public text contains every term of ``query``: from the search
    index on PostgreSQL, by substring over the same public text elsewhere."""
    terms = search.query_terms(query)
    if not terms:
        return queryset
    if search.uses_tsvector():
        return queryset.filter(search_vector__matches=search.to_tsquery(query))
    for term in terms:
        in_reply = public_replies().filter(proposal=OuterRef("pk"), public_body__icontains=term)
        queryset = queryset.filter(
            Q(title__icontains=term) | Q(proposers__name__icontains=term) | Exists(in_reply)
        )
    return queryset.distinct()


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
        .defer("proposal__search_vector")
        .order_by("-published_at", "-pk")[:limit]
    )


def _small_int(value: str) -> int | None:
    """ASCII digits within a small int ("²".isdigit() is true, int("²") fails)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def proposal_by_path(*, committee: str, session: str, number: str) -> Proposal | None:
    """The proposal at /p/<committee>/<term-meeting or year>/<slug>/, public or not; an
    older URL that names the number itself finds it too (the caller redirects)."""
    lookup = Q(session__committee__slug=committee)
    if "-" in session:
        term, _sep, meeting = session.partition("-")
        term, meeting = _small_int(term), _small_int(meeting)
        if term is None or meeting is None:
            return None
        lookup &= Q(session__term=term, session__meeting=meeting)
    elif (year := _small_int(session)) is not None:
        lookup &= Q(session__term=0, session__year=year)
    else:
        return None
    candidates = (
        Proposal.objects.filter(lookup)
        .filter(Q(slug=number) | Q(number=number))
        .select_related("session__committee", "lead_department")
        .defer("search_vector")
    )
    found = sorted(candidates[:2], key=lambda proposal: proposal.slug != number)
    return found[0] if found else None


def withdrawal_notices(proposal: Proposal) -> list[dict[str, Any]]:
    """The withdrawn replies of a proposal, as the public sees them: who, when, why —
    never their text."""
    replies = Reply.objects.withdrawn().filter(proposal=proposal).select_related("department")
    return [_notice(reply) for reply in replies.order_by("withdrawn_at", "pk")]


def _notice(reply: Reply) -> dict[str, Any]:
    return {
        "department": reply.department.name,
        "role": reply.get_role_display(),
        "withdrawn_at": reply.withdrawn_at,
        "reason": reply.withdrawn_reason,
    }


def proposal_page(proposal: Proposal) -> dict[str, Any]:
    """What the proposal page and its JSON show: published replies, each commitment with
    its approved deadline changes, and notices of withdrawn replies in their place."""
    # Published and withdrawn replies in one query: the withdrawn ones become notices.
    replies = (
        Reply.objects.filter(proposal=proposal, published_at__isnull=False)
        .select_related("department")
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
                    Prefetch(
                        "deadline_changes",
                        queryset=DeadlineChange.objects.filter(
                            status=DeadlineChange.Status.APPROVED
                        ).order_by("decided_at", "pk"),
                        to_attr="approved_changes",
                    ),
                ),
            )
        )
    )
    replies = list(replies)
    return {
        "proposal": proposal,
        "proposers": list(proposal.proposers.order_by("proposalproposer__position")),
        "co_departments": list(proposal.co_departments.all()),
        "topics": list(proposal.topics.all()),
        "replies": [reply for reply in replies if reply.is_published],
        "withdrawn": [_notice(reply) for reply in replies if reply.is_withdrawn],
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


# ---------------------------------------------------------------------------
# Oversight: the dashboard's rates and roll-ups, members' own proposals
# ---------------------------------------------------------------------------

CLASSES = [value for value, _label in Classification.choices]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _reply_rows(replies: QuerySet[Reply], key: str, label_fields: list[str]) -> dict[Any, dict]:
    rows = (
        # NOT EXISTS, not a LEFT JOIN ... IS NULL: PostgreSQL estimates the anti-join well,
        # while the outer-join form was estimated at one row and joined by nested loops
        # (50 s at 200,000 replies).
        replies.filter(role=Reply.Role.ANSWER)
        .exclude(Exists(Reply.objects.filter(supersedes=OuterRef("pk"))))
        .values(key, *label_fields)
        .annotate(
            replies=Count("pk"),
            due_known=Count(
                "pk", filter=Q(proposal__reply_due__isnull=False, letter_date__isnull=False)
            ),
            on_time=Count("pk", filter=Q(letter_date__lte=F("proposal__reply_due"))),
            rated=Count("pk", filter=~Q(satisfaction="")),
            satisfied=Count(
                "pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])
            ),
            classified=Count("pk", filter=~Q(classification="")),
            **{f"class_{c}": Count("pk", filter=Q(classification=c)) for c in CLASSES},
        )
        .order_by()
    )
    return {row[key]: row for row in rows}


def _commitment_rows(commitments: QuerySet[CommitmentItem], key: str, today: datetime.date) -> dict:
    rows = (
        commitments.values(key)
        .annotate(
            commitments=Count("pk"),
            overdue=Count("pk", filter=Q(due_on__lt=today) & ~Q(status=CommitmentStatus.FULFILLED)),
            progress=Avg("progress"),
            **{f"status_{s}": Count("pk", filter=Q(status=s)) for s in CommitmentStatus.values},
        )
        .order_by()
    )
    return {row[key]: row for row in rows}


def _merge(reply_rows: dict, commitment_rows: dict, label) -> list[dict[str, Any]]:
    table = []
    for key in set(reply_rows) | set(commitment_rows):
        if key is None:
            continue
        replies = reply_rows.get(key, {})
        commitments = commitment_rows.get(key, {})
        row = {
            "key": key,
            "label": label(replies) if replies else None,
            "replies": replies.get("replies", 0),
            "on_time_rate": _rate(replies.get("on_time", 0), replies.get("due_known", 0)),
            "satisfaction_rate": _rate(replies.get("satisfied", 0), replies.get("rated", 0)),
            "rated": replies.get("rated", 0),
            "classes": {
                c: _rate(replies.get(f"class_{c}", 0), replies.get("classified", 0))
                for c in CLASSES
            },
            "commitments": commitments.get("commitments", 0),
            "overdue": commitments.get("overdue", 0),
            "progress": round(commitments["progress"])
            if commitments.get("progress") is not None
            else None,
            "statuses": {s: commitments.get(f"status_{s}", 0) for s in CommitmentStatus.values},
        }
        table.append(row)
    return table


# Without a committee chosen, the department table shows the departments with the most
# commitments (a province has thousands); the CSV download holds every one.
TOP_DEPARTMENTS = 30


def dashboard(
    *,
    committee: Committee | None = None,
    session: Session | None = None,
    department=None,
    today: datetime.date | None = None,
    all_departments: bool = False,
) -> dict[str, Any]:
    """Rates per committee (or per session of one committee) and per department,
    commitments by status, overdue and oldest: of published replies only, for every
    visitor (draft figures are the proposal office's, in the admin), so that one cached
    roll-up serves everyone and its key holds nothing about who asks.

    The roll-ups read every commitment in scope (a second at province scale), so the
    result is cached until anything is written (``public_data_version``) or the day
    changes; the two lists come from partial indexes in a millisecond.
    """
    today = today or timezone.localdate()
    if session is not None:
        committee = session.committee
    scope = (
        today.isoformat(),
        committee.pk if committee else "",
        session.pk if session else "",
        department.pk if department else "",
        all_departments,
    )
    return cached_until_write(
        "dashboard",
        scope,
        lambda: _dashboard(
            committee=committee,
            session=session,
            department=department,
            today=today,
            all_departments=all_departments,
        ),
    )


def _dashboard(*, committee, session, department, today, all_departments) -> dict:
    replies = Reply.objects.published()
    commitments = CommitmentItem.objects.public()
    if session is not None:
        replies = replies.filter(proposal__session=session)
        commitments = commitments.filter(reply__proposal__session=session)
    elif committee is not None:
        replies = replies.filter(proposal__session__committee=committee)
        commitments = commitments.filter(reply__proposal__session__committee=committee)
    if department is not None:
        replies = replies.filter(department=department)
        commitments = commitments.filter(owner=department)

    if committee is None:
        group = "committee"
        group_replies = _reply_rows(
            replies, "proposal__session__committee", ["proposal__session__committee__name"]
        )
        group_commitments = _commitment_rows(
            commitments, "reply__proposal__session__committee", today
        )
        missing = set(group_commitments) - set(group_replies)
        labels = (
            dict(Committee.objects.filter(pk__in=missing).values_list("pk", "name"))
            if missing
            else {}
        )
        by_group = _merge(
            group_replies,
            group_commitments,
            lambda row: row["proposal__session__committee__name"],
        )
    else:
        group = "session"
        group_replies = _reply_rows(
            replies,
            "proposal__session",
            [
                "proposal__session__committee__name",
                "proposal__session__term",
                "proposal__session__meeting",
                "proposal__session__year",
            ],
        )
        group_commitments = _commitment_rows(commitments, "reply__proposal__session", today)
        # Sessions that only have commitments still need a label: take it from the session row.
        missing = set(group_commitments) - set(group_replies)
        labels = (
            {
                s.pk: str(s)
                for s in Session.objects.filter(pk__in=missing).select_related("committee")
            }
            if missing
            else {}
        )

        def session_label(row: dict) -> str:
            probe = Session(
                term=row["proposal__session__term"],
                meeting=row["proposal__session__meeting"],
                year=row["proposal__session__year"],
            )
            return f"{row['proposal__session__committee__name']}{probe.label}"

        by_group = _merge(group_replies, group_commitments, session_label)
    for row in by_group:
        row["label"] = row["label"] or labels.get(row["key"], "")
    by_group.sort(key=lambda row: row["label"])

    department_replies = _reply_rows(replies, "department", ["department__name"])
    department_commitments = _commitment_rows(commitments, "owner", today)
    by_department = _merge(
        department_replies, department_commitments, lambda row: row["department__name"]
    )
    if set(department_commitments) - set(department_replies):
        names = dict(
            Department.objects.filter(
                pk__in=set(department_commitments) - set(department_replies)
            ).values_list("pk", "name")
        )
        for row in by_department:
            row["label"] = row["label"] or names.get(row["key"], "")
    by_department.sort(key=lambda row: (-row["commitments"], row["label"]))
    department_count = len(by_department)
    if committee is None and department is None and not all_departments:
        by_department = by_department[:TOP_DEPARTMENTS]

    related = ["reply__proposal__session__committee", "owner"]
    # Both lists walk a partial index of open commitments (migration 0004 of replies)
    # and stop at the 20th: constant time whatever the number of commitments.
    overdue = list(
        commitments.overdue(today).select_related(*related).order_by("due_on", "pk")[:20]
    )
    oldest_open = list(
        commitments.open().select_related(*related).order_by("reply__letter_date", "pk")[:20]
    )
    totals = {
        "commitments": sum(row["commitments"] for row in by_group),
        "overdue": sum(row["overdue"] for row in by_group),
        "statuses": {
            s: sum(row["statuses"][s] for row in by_group) for s in CommitmentStatus.values
        },
    }
    return {
        "group": group,
        "by_group": by_group,
        "by_department": by_department,
        "department_count": department_count,
        "overdue": overdue,
        "oldest_open": oldest_open,
        "totals": totals,
        "today": today,
    }


def member_proposals(user) -> list[Proposal]:
    """A member's own proposals with every reply they may read (their drafts included) and
    the replies' commitments."""
    return list(
        Proposal.objects.visible_to(user)
        .filter(proposers__user=user)
        .select_related("session__committee", "lead_department")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Reply.objects.visible_to(user)
                .select_related("department")
                .order_by("pk")
                .prefetch_related(
                    "superseded_by",
                    Prefetch(
                        "commitments",
                        queryset=CommitmentItem.objects.order_by("number").prefetch_related(
                            Prefetch("targets", queryset=Target.objects.order_by("pk")),
                            Prefetch(
                                "updates",
                                queryset=CommitmentUpdate.objects.order_by("date", "pk"),
                            ),
                        ),
                    ),
                ),
            )
        )
        .distinct()
        .order_by("-pk")
    )
