"""Reads for oversight: the dashboard's rates and roll-ups, the member's own proposals."""

import datetime
from typing import Any

from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from proposals.models import Committee, Proposal, Session
from replies.models import (
    Classification,
    CommitmentItem,
    CommitmentStatus,
    CommitmentUpdate,
    Reply,
    Satisfaction,
    Target,
)

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
    user,
    *,
    committee: Committee | None = None,
    session: Session | None = None,
    department=None,
    today: datetime.date | None = None,
    all_departments: bool = False,
) -> dict[str, Any]:
    """Rates per committee (or per session of one committee) and per department,
    commitments by status, overdue and oldest.

    The roll-ups read every commitment in scope (a second at province scale), so the
    result is cached until anything is written (``public_data_version``) or the day
    changes; the two lists come from partial indexes in a millisecond.
    """
    from proposals.selectors import cached_until_write

    today = today or timezone.localdate()
    staff = bool(user.is_authenticated and user.is_staff)
    if session is not None:
        committee = session.committee
    scope = (
        today.isoformat(),
        staff,
        committee.pk if committee else "",
        session.pk if session else "",
        department.pk if department else "",
        all_departments,
    )
    return cached_until_write(
        "dashboard",
        scope,
        lambda: _dashboard(
            staff=staff,
            committee=committee,
            session=session,
            department=department,
            today=today,
            all_departments=all_departments,
        ),
    )


def _dashboard(*, staff, committee, session, department, today, all_departments) -> dict:
    replies = Reply.objects.all() if staff else Reply.objects.published()
    commitments = CommitmentItem.objects.all() if staff else CommitmentItem.objects.public()
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
        from proposals.models import Department

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
        "overdue_proposals": list(
            Proposal.objects.overdue(today)
            .select_related("session__committee", "lead_department")
            .order_by("reply_due")[:20]
        )
        if staff
        else [],
        "totals": totals,
        "today": today,
    }


def member_proposals(user) -> list[Proposal]:
    """A member's own proposals with every reply, drafts included, and their commitments."""
    return list(
        Proposal.objects.filter(proposers__user=user)
        .select_related("session__committee", "lead_department")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Reply.objects.select_related("department")
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
