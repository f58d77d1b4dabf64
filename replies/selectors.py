"""Reads: public pages, search results, the dashboard's roll-ups and members' proposals.

Every function here runs a fixed number of queries.
"""

import datetime
import functools
import json
from collections import Counter, defaultdict
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import PageSnapshot, PublicDataVersion
from core.roles import department_of
from proposals import search
from proposals.models import (
    Committee,
    Department,
    Proposal,
    Proposer,
    RelatedProposal,
    Session,
    Topic,
    is_placeholder_name,
)
from replies.kept import KeptRow
from replies.models import (
    Classification,
    CommitmentItem,
    CommitmentStatus,
    CommitmentUpdate,
    DeadlineChange,
    Reply,
    Satisfaction,
    Tally,
    TallyState,
    Target,
    published_q,
)
from replies.parsing.coverage import ProposalCoverage, ReplyPart, cover
from replies.services import rollups

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


def home_figures(today: datetime.date | None = None) -> dict[str, Any]:
    """The home page's figures, from the overall tally row (``rollups``): a couple of
    queries however many replies there are."""
    today = today or timezone.localdate()
    row = Tally.objects.filter(committee_id=0, session_id=0, department_id=0).first()
    correction = rollups.overdue_correction(today).get((), {})
    return {
        "replies": row.public_replies if row else 0,
        "commitments": rollups.status_counts(row, correction),
    }


def chosen_filters(filterset) -> dict[str, Any]:
    """The values a visitor chose in a filter form, validated (a value that is not valid is
    left out, as the filter itself ignores it) and without the empty ones."""
    if not filterset.is_bound:
        return {}
    filterset.errors  # noqa: B018  (validates once; the filter caches it)
    return {name: value for name, value in filterset.form.cleaned_data.items() if value}


def commitment_counts(filterset, today: datetime.date | None = None) -> dict[str, int] | None:
    """``status_counts`` of the commitment list's filter, from one tally row when the
    filter is by committee, session, department and status only; None otherwise (the
    caller counts)."""
    today = today or timezone.localdate()
    data = chosen_filters(filterset)
    if set(data) - {"committee", "session", "department", "status"}:
        return None
    committee, session = data.get("committee"), data.get("session")
    department, status = data.get("department"), data.get("status")
    empty = rollups.status_counts(None)
    if committee is not None and session is not None and session.committee_id != committee.pk:
        return empty
    key = {
        "committee_id": session.committee_id if session else committee.pk if committee else 0,
        "session_id": session.pk if session else 0,
        "department_id": department.pk if department else 0,
    }
    row = Tally.objects.filter(**key).first()
    scope = Q()
    if key["committee_id"]:
        scope &= Q(reply__proposal__session__committee_id=key["committee_id"])
    if key["session_id"]:
        scope &= Q(reply__proposal__session_id=key["session_id"])
    if key["department_id"]:
        scope &= Q(owner_id=key["department_id"])
    correction = rollups.overdue_correction(today, scope=scope).get((), {})
    counts = rollups.status_counts(row, correction)
    if not status:
        return counts
    if status == OVERDUE:
        counts = rollups.overdue_by_status(row, correction)
        counts[OVERDUE] = counts["total"] = sum(counts.values())
        return counts
    only = dict.fromkeys(counts, 0)
    only[status] = only["total"] = counts[status]
    only[OVERDUE] = rollups.overdue_by_status(row, correction)[status]
    return only


# The commitment list's orders, each read off an index of (column, id).
COMMITMENT_ORDERS = {
    "due": (F("due_on").asc(nulls_last=True), "pk"),
    "updated": ("-updated_at", "-pk"),
    "progress": ("-progress", "-pk"),
}


def commitment_list(
    queryset: QuerySet[CommitmentItem], order: str = "due"
) -> QuerySet[CommitmentItem]:
    """The commitment list's rows in ``order`` (a key of ``COMMITMENT_ORDERS``; due date,
    nulls last, otherwise), each with ``reported``: whether any of its targets has a
    reported value (only then has it a progress figure worth a bar; its ``progress`` is
    otherwise the status's)."""
    reported = Target.objects.filter(commitment=OuterRef("pk"), achieved__isnull=False)
    return (
        queryset.select_related("reply__proposal__session__committee", "owner", "topic")
        .defer("reply__proposal__search_vector")
        .annotate(reported=Exists(reported))
        .order_by(*COMMITMENT_ORDERS.get(order, COMMITMENT_ORDERS["due"]))
    )


LISTED_DEPARTMENTS = 50


def commitment_departments(committee: Committee | None) -> list[Department]:
    """The departments the commitment list offers, by name: those with public commitments
    in ``committee``, or, with none chosen, the ``LISTED_DEPARTMENTS`` with the most public
    commitments anywhere (a province has thousands): read from the roll-up rows."""
    rows = Tally.objects.filter(department_id__gt=0, session_id=0, commitments__gt=0)
    if committee is not None:
        rows = rows.filter(committee_id=committee.pk)
    else:
        rows = rows.filter(committee_id=0).order_by("-commitments", "department_id")[
            :LISTED_DEPARTMENTS
        ]
    return list(
        Department.objects.named().filter(pk__in=rows.values("department_id")).order_by("name")
    )


def latest_replies(limit: int = 10) -> list[Reply]:
    """The newest published replies, each proposal with its commitment chips.

    An undated letter is not news because it was imported today: among the most recently
    published (read off the publication-time index, a few more than shown) the dated
    letters come first, the undated ones after them."""
    recent = list(
        public_replies()
        .select_related("proposal__session__committee", "department")
        .defer("proposal__search_vector")
        .order_by("-published_at", "-pk")[: limit * 3]
    )
    replies = sorted(recent, key=lambda reply: reply.letter_date is None)[:limit]
    attach_commitment_chips([reply.proposal for reply in replies])
    return replies


def _small_int(value: str) -> int | None:
    """ASCII digits within a small int ("²".isdigit() is true, int("²") fails)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def proposal_candidates(
    *, committee: str, session: str, number: str, snapshot: str | None = None
) -> list[Proposal]:
    """The (at most two) proposals at /p/<committee>/<term-meeting or year>/<slug>/,
    public or not, in one query: give them to ``proposal_by_path`` and
    ``page_version``. Each carries the public-data version (``version_*``: one query
    answers a cached proposal page) and, with ``snapshot`` (a ``PageSnapshot.key``), that
    stored page's ``snapshot_id``, ``snapshot_token`` and ``snapshot_valid_until`` (None
    when there is none); its session, committee and lead department are loaded with it.

    Written-out SQL (``_candidates_sql``), its model instances built from the row: this
    query makes every proposal page's cache key, hit or miss, and composing and compiling
    it through the ORM took four times as long as running it (docs/performance.md)."""
    in_session: tuple[int, ...]
    if "-" in session:
        term, _sep, meeting = session.partition("-")
        term, meeting = _small_int(term), _small_int(meeting)
        if term is None or meeting is None:
            return []
        by_year, in_session = False, (term, meeting)
    elif (year := _small_int(session)) is not None:
        by_year, in_session = True, (year,)
    else:
        return []
    sql = _candidates_sql(by_year=by_year, snapshot=snapshot is not None)
    params = [*([snapshot] if snapshot is not None else []), committee, *in_session]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, number, number])
        rows = cursor.fetchall()
    return [_candidate(row, snapshot is not None) for row in rows]


# The columns of the candidates query, per model (``_candidates_sql``), and the
# annotations read with them: (model, table alias, fields).
_CANDIDATE_MODELS = (
    (Proposal, "p", ("search_vector",)),
    (Session, "s", ()),
    (Committee, "c", ()),
    (Department, "d", ()),
)
_VERSION_FIELDS = ("value", "changed_at", "broad", "department_figures_public")
_SNAPSHOT_FIELDS = (
    ("id", "snapshot_id"),
    ("token", "snapshot_token"),
    ("valid_until", "snapshot_valid_until"),
)


@functools.cache
def _candidate_fields() -> list[tuple[type, list]]:
    return [
        (model, [f for f in model._meta.concrete_fields if f.attname not in skipped])
        for model, _alias, skipped in _CANDIDATE_MODELS
    ]


@functools.cache
def _candidates_sql(*, by_year: bool, snapshot: bool) -> str:
    columns = [
        f'{alias}."{field.column}"'
        for (_model, alias, _skipped), (_m, fields) in zip(
            _CANDIDATE_MODELS, _candidate_fields(), strict=True
        )
        for field in fields
    ]
    columns += [f'v."{PublicDataVersion._meta.get_field(name).column}"' for name in _VERSION_FIELDS]
    joins = ""
    if snapshot:
        columns += [
            f'ps."{PageSnapshot._meta.get_field(name).column}"' for name, _a in _SNAPSHOT_FIELDS
        ]
        joins = f' LEFT JOIN "{PageSnapshot._meta.db_table}" ps ON ps."key" = %s'
    in_session = (
        's."term" = 0 AND s."year" = %s' if by_year else 's."term" = %s AND s."meeting" = %s'
    )
    return (
        f"SELECT {', '.join(columns)}"  # noqa: S608  (names are the models')
        f' FROM "{Proposal._meta.db_table}" p'
        f' JOIN "{Session._meta.db_table}" s ON s."id" = p."session_id"'
        f' JOIN "{Committee._meta.db_table}" c ON c."id" = s."committee_id"'
        f' LEFT JOIN "{Department._meta.db_table}" d ON d."id" = p."lead_department_id"'
        f' LEFT JOIN "{PublicDataVersion._meta.db_table}" v ON v."id" = 1'
        f"{joins}"
        f' WHERE c."slug" = %s AND {in_session} AND (p."slug" = %s OR p."number" = %s)'
        ' ORDER BY p."id" LIMIT 2'
    )


@functools.cache
def _converters(vendor: str, model: type, name: str) -> tuple[list, Any]:
    """What the ORM applies to a column of ``model`` read from this kind of database, and
    the column expression the converters are given."""
    column = model._meta.get_field(name).get_col(model._meta.db_table)
    return connection.ops.get_db_converters(column) + column.get_db_converters(connection), column


def _convert(model: type, name: str, value):
    converters, column = _converters(connection.vendor, model, name)
    for converter in converters:
        value = converter(value, column, connection)
    return value


def _candidate(row: tuple, snapshot: bool) -> Proposal:
    values = iter(row)
    built: dict[type, Any] = {}
    for model, fields in _candidate_fields():
        own = [_convert(model, field.name, next(values)) for field in fields]
        # (No lead department: the LEFT JOIN's columns, its id first, are all NULL.)
        built[model] = (
            model.from_db(connection.alias, [f.attname for f in fields], own)
            if own[0] is not None
            else None
        )
    proposal = built[Proposal]
    proposal.session = built[Session]
    proposal.session.committee = built[Committee]
    proposal.lead_department = built[Department]
    for name in _VERSION_FIELDS:
        setattr(proposal, f"version_{name}", _convert(PublicDataVersion, name, next(values)))
    if snapshot:
        for name, attribute in _SNAPSHOT_FIELDS:
            setattr(proposal, attribute, _convert(PageSnapshot, name, next(values)))
    return proposal


def proposal_by_path(
    *, committee: str, session: str, number: str, candidates: list[Proposal] | None = None
) -> Proposal | None:
    """The proposal at /p/<committee>/<term-meeting or year>/<slug>/, public or not; an
    older URL that names the number itself finds it too (the caller redirects)."""
    if candidates is None:
        candidates = proposal_candidates(committee=committee, session=session, number=number)
    found = sorted(candidates, key=lambda proposal: proposal.slug != number)
    return found[0] if found else None


def page_version(candidates: list[Proposal]) -> str | None:
    """The version of what the page of these candidates shows (their
    ``Proposal.page_version``); None if there are none."""
    return "-".join(f"{proposal.pk}.{proposal.page_version}" for proposal in candidates) or None


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
    published = [reply for reply in replies if reply.is_published]
    for reply in published:
        for item in reply.commitments.all():
            item.public_promises, item.done_work, item.statements_hidden = public_statements(item)
    summary = commitment_summary(published)
    earlier = earlier_related(proposal) if published else []
    # The page as shown today holds until an open commitment — its own, or one counted
    # under 此前相关提案 — turns overdue.
    turns = [summary["changes_on"]] + [
        other.next_due + datetime.timedelta(days=1) for other in earlier if other.next_due
    ]
    summary["changes_on"] = min((day for day in turns if day), default=None)
    return {
        "proposal": proposal,
        # Only a text the office made public, against published replies only.
        "coverage": public_coverage(proposal, published),
        "proposers": list(proposal.proposers.order_by("proposalproposer__position")),
        "co_departments": list(proposal.co_departments.all()),
        "topics": list(proposal.topics.all()),
        "replies": published,
        "withdrawn": [_notice(reply) for reply in replies if reply.is_withdrawn],
        "summary": summary,
        "earlier": earlier,
    }


# The stacked bar's segments, in the order drawn: each commitment falls in exactly one.
SUMMARY_SEGMENTS = [
    ("fulfilled", "已完成"),
    ("in_progress", "进行中"),
    ("not_started", "未开始"),
    ("not_fulfilled", "未完成"),
    (OVERDUE, "已逾期"),
]


def commitment_summary(replies: list[Reply], today: datetime.date | None = None) -> dict[str, Any]:
    """The proposal page's summary band, from the replies already read (no query): the
    commitments per segment of the stacked bar (overdue counted apart from the status it
    has, partial with in progress), the earliest deadline of an open commitment, and the
    date of the last public change (publication, progress update, approved deadline
    change, rating)."""
    today = today or timezone.localdate()
    counts = dict.fromkeys((key for key, _label in SUMMARY_SEGMENTS), 0)
    open_due: list[datetime.date] = []
    changes: list[datetime.datetime] = []
    for reply in replies:
        changes.extend(moment for moment in (reply.published_at, reply.rated_at) if moment)
        for item in reply.commitments.all():
            if item.is_overdue(today):
                counts[OVERDUE] += 1
            elif item.status == CommitmentStatus.PARTIAL:
                counts["in_progress"] += 1
            else:
                counts[item.status] += 1
            if item.status != CommitmentStatus.FULFILLED and item.due_on is not None:
                open_due.append(item.due_on)
            changes.extend(update.created_at for update in item.updates.all())
            changes.extend(
                change.decided_at
                for change in getattr(item, "approved_changes", [])
                if change.decided_at
            )
    total = sum(counts.values())
    segments = []
    offset = 0
    for key, label in SUMMARY_SEGMENTS:
        if not counts[key] and key == "not_fulfilled":
            continue
        # Per mille of the bar's width; the last drawn segment takes what rounding left.
        width = round(1000 * counts[key] / total) if total else 0
        segments.append(
            {"key": key, "label": label, "count": counts[key], "x": offset, "width": width}
        )
        offset += width
    drawn = [segment for segment in segments if segment["count"]]
    if drawn:
        drawn[-1]["width"] += 1000 - offset
    next_due = min(open_due) if open_due else None
    coming = [due for due in open_due if due >= today]
    return {
        # The first day on which an open commitment turns overdue: the page as shown today
        # holds until then (core.caching.public_page's ``valid_until``).
        "changes_on": min(coming) + datetime.timedelta(days=1) if coming else None,
        "total": total,
        "counts": counts,
        "segments": segments,
        "next_due": next_due,
        "next_due_passed": next_due is not None and next_due < today,
        "last_change": timezone.localdate(max(changes)) if changes else None,
    }


def public_statements(item: CommitmentItem) -> tuple[list[dict], list[str], bool]:
    """``(promises, done work, hidden)`` of a published commitment as the public may read
    them: the parser's promises (text and deadline) and its sentences reporting work done
    or under way that are not promises.

    The parser keeps the letter's original wording; only sentences that read the same in
    the public (masked) text are shown, so that no personal data reaches the page through
    them. ``hidden`` says that some were left out for that reason (the section's public
    text still holds them, masked)."""
    public_text = item.public_text or ""
    hidden = False

    def readable(text: str) -> bool:
        nonlocal hidden
        if text and text in public_text:
            return True
        hidden = hidden or bool(text)
        return False

    promises = []
    for promise in item.promises or []:
        text = (promise.get("text") or "").strip()
        if readable(text):
            deadline = promise.get("deadline")
            promises.append(
                {
                    "text": text,
                    "deadline": datetime.date.fromisoformat(deadline) if deadline else None,
                }
            )
    promised = {promise["text"] for promise in promises}
    done = []
    for statement in item.statements or []:
        text = (statement.get("text") or "").strip()
        work = statement.get("modality") in ("done", "ongoing") and text not in promised
        if work and readable(text):
            done.append(text)
    return promises, done, hidden


def department_summary(department: Department) -> dict[str, Any]:
    commitments = public_commitments().filter(owner=department)
    return {
        "counts": status_counts(commitments),
        "replies": list(
            public_replies()
            .filter(department=department)
            .select_related("proposal__session__committee")
            .defer("proposal__search_vector")
            .order_by(F("letter_date").desc(nulls_last=True), "-pk")[:50]
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
            committee_name = row["session__committee__name"]
            # A session of a made-up committee reads as its own label, the region unstated
            # (as ``shown_name`` shows it on the pages), not as the placeholder's name.
            labels[row["session_id"]] = (
                _("%(session)s（地区未注明）") % {"session": label}
                if is_placeholder_name(committee_name)
                else f"{committee_name}{label}"
            )
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
    # The committees and departments the import made up (未注明地区政协, 未注明承办单位) are
    # placeholders, not choices.
    return {
        "committee": [
            {"value": slug, "label": labels[slug], "count": count(n)}
            for slug, n in committees.most_common()
            if not is_placeholder_name(labels[slug])
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
            if not is_placeholder_name(department_names[pk])
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
    """Attach what a result row shows (proposers, published replies, commitment chips)
    with three queries."""
    prefetch_related_objects(
        page_proposals,
        Prefetch("proposers"),
        Prefetch(
            "replies",
            queryset=Reply.objects.published().select_related("department").order_by("pk"),
            to_attr="public_replies",
        ),
    )
    attach_commitment_chips(page_proposals)
    return page_proposals


def attach_commitment_chips(proposals: list[Proposal], today: datetime.date | None = None) -> None:
    """Set ``chips`` on each proposal: its public commitments, how many fulfilled and how
    many overdue (as ``CommitmentItemQuerySet.overdue`` counts), in one query for all."""
    if not proposals:
        return
    today = today or timezone.localdate()
    rows = (
        public_commitments()
        .filter(reply__proposal__in=[proposal.pk for proposal in proposals])
        .values("reply__proposal")
        .annotate(
            total=Count("pk"),
            fulfilled=Count("pk", filter=Q(status=CommitmentStatus.FULFILLED)),
            overdue=Count("pk", filter=Q(due_on__lt=today) & ~Q(status=CommitmentStatus.FULFILLED)),
        )
        .order_by()
    )
    found = {row.pop("reply__proposal"): row for row in rows}
    empty = {"total": 0, "fulfilled": 0, "overdue": 0}
    for proposal in proposals:
        proposal.chips = found.get(proposal.pk, empty)


def with_public_commitment_status(queryset: QuerySet[Proposal], status: str) -> QuerySet[Proposal]:
    commitments = public_commitments().filter(reply__proposal=OuterRef("pk"))
    commitments = commitments.overdue() if status == OVERDUE else commitments.filter(status=status)
    return queryset.filter(Exists(commitments))


# ---------------------------------------------------------------------------
# Oversight: the dashboard's rates and roll-ups, members' own proposals
# ---------------------------------------------------------------------------

CLASSES = [value for value, _label in Classification.choices]
STATUS_VALUES = list(CommitmentStatus.values)
# What a list of commitments never shows: the long texts and the proposal's vector.
LIST_DEFERRED = (
    "text",
    "statements",
    "promises",
    "reply__body",
    "reply__public_body",
    "reply__proposal__search_vector",
)


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _table_row(
    key: int, label: str, row: Tally, overdue_extra: int, due_extra: dict[str, int] | None = None
) -> dict[str, Any]:
    due_extra = due_extra or {}
    due_passed = row.due_passed + due_extra.get("due_passed", 0)
    return {
        "key": key,
        "label": label,
        "replies": row.answers,
        "assigned": row.assigned,
        "replied": row.replied,
        "reply_rate": _rate(row.replied, row.assigned),
        "due_passed": due_passed,
        "on_time_rate": _rate(
            row.replied_on_time + due_extra.get("replied_on_time", 0), due_passed
        ),
        "satisfaction_rate": _rate(row.satisfied, row.rated),
        "rated": row.rated,
        "classes": {
            c: _rate(getattr(row, rollups.CLASS_COLUMNS[c]), row.classified) for c in CLASSES
        },
        "commitments": row.commitments,
        "overdue": row.overdue + overdue_extra,
        "progress": round(row.progress_sum / row.commitments) if row.commitments else None,
        "statuses": {s: getattr(row, s) for s in STATUS_VALUES},
    }


def _overdue_extra(
    today: datetime.date, scope: Q, since: datetime.date | None = None
) -> dict[tuple[int, int, int], int]:
    """The tallies' overdue counts' correction for today (see ``rollups``), for every
    (committee, session, department) level key; ``since``: the tallies' day, if read."""
    found = rollups.overdue_correction(
        today,
        since=since,
        scope=scope,
        keys=("reply__proposal__session__committee_id", "reply__proposal__session_id", "owner_id"),
    )
    spread = _to_levels(
        {key: {"overdue": sum(statuses.values())} for key, statuses in found.items()}
    )
    return Counter({level: counts["overdue"] for level, counts in spread.items()})


def _due_extra(
    today: datetime.date, scope: Q, since: datetime.date | None = None
) -> dict[tuple[int, int, int], dict[str, int]]:
    """The tallies' ``due_passed`` / ``replied_on_time`` correction for today (see
    ``rollups.assignment_correction``), for every level key."""
    return _to_levels(
        rollups.assignment_correction(
            today,
            since=since,
            scope=scope,
            keys=("session__committee_id", "session_id", "lead_department_id"),
        )
    )


def _to_levels(found: dict[tuple, dict[str, int]]) -> dict[tuple[int, int, int], Counter]:
    """Counts by (committee, session, department) cell, summed into every tally level
    each cell counts in (``rollups.levels``)."""
    extra: dict[tuple[int, int, int], Counter] = defaultdict(Counter)
    for (committee, session, department), counts in found.items():
        for level in rollups.levels(committee, session, department):
            extra[level].update(counts)
    return extra


# Without a committee chosen, the department table shows the departments with the most
# commitments (a province has thousands); the CSV download holds every one.
TOP_DEPARTMENTS = 30
TOP_COMMITTEES = 30


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
    visitor (draft figures are the proposal office's, in the admin).

    The tables are read from the roll-ups (``Tally``, kept current by the services), a
    few hundred rows at most whatever the number of commitments; the two lists come from
    partial indexes in a millisecond. Also returned: the committees and the chosen
    committee's sessions, for the page's choices (read once, here)."""
    today = today or timezone.localdate()
    if session is not None:
        committee = session.committee
    c = committee.pk if committee else 0
    s = session.pk if session else 0
    d = department.pk if department else 0
    named = list(Committee.objects.order_by("name").values_list("pk", "name", "slug"))
    slugs = {pk: slug for pk, _name, slug in named}
    committees = {pk: name for pk, name, _slug in named}
    sessions = list(Session.objects.filter(committee_id=c).select_related("committee")) if c else []
    if committee is None:
        group = "committee"
        in_group = Q(committee_id__gt=0, session_id=0, department_id=d)
    else:
        group = "session"
        in_group = Q(committee_id=c, department_id=d) & (
            Q(session_id=s) if s else Q(session_id__gt=0)
        )
    in_departments = Q(committee_id=c, session_id=s) & (
        Q(department_id=d) if d else Q(department_id__gt=0)
    )
    rows = list(
        Tally.objects.filter(in_group | in_departments)
        .filter(Q(commitments__gt=0) | Q(answers__gt=0) | Q(assigned__gt=0))
        # The tallies' day with them (one query fewer than asking for it apart).
        .annotate(tallied_on=Subquery(TallyState.objects.filter(pk=1).values("as_of")[:1]))
    )
    scope = Q()
    if c:
        scope &= Q(reply__proposal__session__committee_id=c)
    if s:
        scope &= Q(reply__proposal__session_id=s)
    if d:
        scope &= Q(owner_id=d)
    tallied_on = rows[0].tallied_on if rows else None
    extra = _overdue_extra(today, scope, since=tallied_on)
    proposal_scope = Q()
    if c:
        proposal_scope &= Q(session__committee_id=c)
    if s:
        proposal_scope &= Q(session_id=s)
    if d:
        proposal_scope &= Q(lead_department_id=d)
    due_extra = _due_extra(today, proposal_scope, since=tallied_on)

    def key(row: Tally) -> tuple[int, int, int]:
        return (row.committee_id, row.session_id, row.department_id)

    session_labels = {item.pk: f"{item.committee.name}{item.label}" for item in sessions}
    group_rows = []  # (key shown, label, tally row)
    for row in rows:
        if committee is None and row.committee_id and not row.session_id and row.department_id == d:
            group_rows.append((row.committee_id, committees.get(row.committee_id, ""), row))
        elif (
            committee is not None
            and row.committee_id == c
            and row.department_id == d
            and (row.session_id == s if s else row.session_id > 0)
        ):
            group_rows.append((row.session_id, session_labels.get(row.session_id, ""), row))
    assigned = sum(row.assigned for _k, _l, row in group_rows)
    replied = sum(row.replied for _k, _l, row in group_rows)
    due_passed = sum(
        row.due_passed + due_extra.get(key(row), {}).get("due_passed", 0)
        for _k, _l, row in group_rows
    )
    on_time = sum(
        row.replied_on_time + due_extra.get(key(row), {}).get("replied_on_time", 0)
        for _k, _l, row in group_rows
    )
    totals = {
        "assigned": assigned,
        "replied": replied,
        "reply_rate": _rate(replied, assigned),
        "due_passed": due_passed,
        "replied_on_time": on_time,
        "on_time_rate": _rate(on_time, due_passed),
        "commitments": sum(row.commitments for _k, _l, row in group_rows),
        "overdue": sum(row.overdue + extra.get(key(row), 0) for _k, _l, row in group_rows),
        "statuses": {
            status: sum(getattr(row, status) for _k, _l, row in group_rows)
            for status in STATUS_VALUES
        },
    }
    group_count = len(group_rows)
    if committee is None and department is None and not all_departments:
        # A province has hundreds of committees: the page shows those with the most
        # commitments (the CSV download holds every one).
        group_rows.sort(key=lambda item: (-item[2].commitments, item[1]))
        group_rows = group_rows[:TOP_COMMITTEES]
    by_group = [
        _table_row(shown, label, row, extra.get(key(row), 0), due_extra.get(key(row)))
        for shown, label, row in group_rows
    ]
    by_group.sort(key=lambda row: row["label"])

    department_rows = [
        row
        for row in rows
        if row.committee_id == c
        and row.session_id == s
        and (row.department_id == d if d else row.department_id > 0)
    ]
    department_count = len(department_rows)
    if committee is None and department is None and not all_departments:
        # The most commitments first (names break ties below); only those shown are named
        # and turned into table rows — a province has thousands of departments.
        department_rows.sort(key=lambda row: -row.commitments)
        if len(department_rows) > TOP_DEPARTMENTS:
            least = department_rows[TOP_DEPARTMENTS - 1].commitments
            department_rows = [row for row in department_rows if row.commitments >= least]
    names = dict(
        Department.objects.filter(
            pk__in=search.id_list([row.department_id for row in department_rows])
        ).values_list("pk", "name")
    )
    by_department = [
        _table_row(
            row.department_id,
            names.get(row.department_id, ""),
            row,
            extra.get(key(row), 0),
            due_extra.get(key(row)),
        )
        for row in department_rows
    ]
    by_department.sort(key=lambda row: (-row["commitments"], row["label"]))
    if committee is None and department is None and not all_departments:
        by_department = by_department[:TOP_DEPARTMENTS]

    commitments = CommitmentItem.objects.public()
    if session is not None:
        commitments = commitments.filter(reply__proposal__session=session)
    elif committee is not None:
        commitments = commitments.filter(reply__proposal__session__committee=committee)
    if department is not None:
        commitments = commitments.filter(owner=department)
    related = ["reply__proposal__session__committee", "owner"]
    # Both lists walk a partial index of open commitments (migration 0004 of replies)
    # and stop at the 20th.
    lists = commitments.select_related(*related).defer(*LIST_DEFERRED)
    overdue = list(lists.overdue(today).order_by("due_on", "pk")[:20])
    oldest_open = list(lists.open().order_by("reply__letter_date", "pk")[:20])
    return {
        "group": group,
        "by_group": by_group,
        "group_count": group_count,
        "by_department": by_department,
        "department_count": department_count,
        "overdue": overdue,
        "oldest_open": oldest_open,
        "totals": totals,
        "today": today,
        # A made-up committee (未注明地区政协) is no choice to offer.
        # (slug, name): the committee filter takes the slug, as on the commitment list.
        "committee_choices": [
            (slugs[pk], name) for pk, name in committees.items() if not is_placeholder_name(name)
        ],
        "session_choices": sessions,
    }


def member_proposals(user) -> list[Proposal]:
    """A member's own proposals with every reply they may read (their drafts included) and
    the replies' commitments. ``rehandling`` marks a proposal sent back by the member's
    不满意 and not answered again yet (退回重办, not a step back to 已交办)."""
    proposals = list(
        Proposal.objects.visible_to(user)
        .filter(proposers__user=user)
        .select_related("session__committee", "lead_department")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Reply.objects.visible_to(user)
                .select_related("department")
                # Whether a newer letter answers it again (退回重办): a column, not a query.
                .annotate(is_superseded=Exists(Reply.objects.filter(supersedes=OuterRef("pk"))))
                .order_by("pk")
                .prefetch_related(
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
    for proposal in proposals:
        proposal.rehandling = proposal.status == Proposal.Status.ASSIGNED and any(
            reply.satisfaction == Satisfaction.UNSATISFIED and not reply.is_superseded
            for reply in proposal.replies.all()
        )
    return proposals


def mark_new_since(proposals: list[Proposal], since: datetime.datetime | None) -> int:
    """Mark on ``member_proposals``' rows what is new since the member's last visit: each
    reply published since (``is_new``), each commitment's updates posted since
    (``new_updates``), each commitment's latest update (``latest_update``). No queries
    (all prefetched); returns how many replies and commitments have news. A first visit
    (``since`` None) marks nothing: everything would be new."""
    news = 0
    for proposal in proposals:
        for reply in proposal.replies.all():
            reply.is_new = bool(
                since and reply.published_at is not None and reply.published_at > since
            )
            news += reply.is_new
            for item in reply.commitments.all():
                updates = list(item.updates.all())
                item.latest_update = updates[-1] if updates else None
                item.new_updates = [u for u in updates if since and u.created_at > since]
                news += bool(item.new_updates)
    return news


def member_proposer(user) -> Proposer | None:
    """The member's proposer row (their settings on /me/), or None: read with the user's
    role, so no query of its own."""
    try:
        return user.proposer
    except Proposer.DoesNotExist:
        return None


# ---------------------------------------------------------------------------
# A department clerk's work queue
# ---------------------------------------------------------------------------

QUEUE_LIMIT = 50


def clerk_queue(user, today: datetime.date | None = None) -> dict[str, Any] | None:
    """What a department clerk has to do, read through the models' ``visible_to`` rules:
    their department's open commitments (overdue first, then by due date; a withdrawn
    reply's are no longer anyone's work), the proposals
    assigned to the department that still await its letter, and the department's deadline
    change requests with their state. None for anyone who is not a clerk of a department.

    Five queries whatever the numbers (the lists stop at ``QUEUE_LIMIT``)."""
    department = department_of(user)
    if department is None:
        return None
    today = today or timezone.localdate()
    commitments = (
        CommitmentItem.objects.visible_to(user)
        .filter(owner_id=department, reply__withdrawn_at__isnull=True)
        .open()
        .select_related("reply__proposal__session__committee", "owner")
        .defer(*LIST_DEFERRED)
        .annotate(late=Case(When(due_on__lt=today, then=Value(0)), default=Value(1)))
        .order_by("late", F("due_on").asc(nulls_last=True), "pk")
    )
    counts = commitments.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today))
    )
    answered = Reply.objects.filter(proposal=OuterRef("pk"), department_id=department)
    awaiting = (
        Proposal.objects.visible_to(user)
        .handled_by(department)
        .filter(status=Proposal.Status.ASSIGNED)
        .exclude(Exists(answered))
        .select_related("session__committee", "lead_department")
        .defer("search_vector")
        .order_by(F("reply_due").asc(nulls_last=True), "pk")
    )
    changes = (
        DeadlineChange.objects.visible_to(user)
        .filter(commitment__owner_id=department)
        .select_related("commitment__reply__proposal__session__committee")
        .defer(
            "commitment__text",
            "commitment__statements",
            "commitment__promises",
            "commitment__reply__body",
            "commitment__reply__public_body",
            "commitment__reply__proposal__search_vector",
        )
        .order_by("-requested_at", "-pk")
    )
    return {
        "department": Department.objects.get(pk=department),
        "commitments": list(commitments[:QUEUE_LIMIT]),
        "open_count": counts["total"],
        "overdue_count": counts["overdue"],
        "awaiting": list(awaiting[:QUEUE_LIMIT]),
        "changes": list(changes[:QUEUE_LIMIT]),
        "limit": QUEUE_LIMIT,
        "today": today,
    }


def coverage_parts(replies: list[Reply], *, public: bool) -> list[ReplyPart]:
    """The sections of ``replies`` (their commitments, read already) as the coverage
    matcher takes them: for the public, the masked text and the promises the page shows
    (``public_statements``, set by ``proposal_page``)."""
    parts = []
    for reply in replies:
        for item in reply.commitments.all():
            if public:
                text = item.public_text or ""
                promises = [p["text"] for p in getattr(item, "public_promises", [])]
            else:
                text = item.text
                promises = [(p.get("text") or "") for p in item.promises or []]
            parts.append(
                ReplyPart(
                    key=item.pk,
                    marker=item.marker,
                    heading=item.heading,
                    text=text,
                    promises=tuple(p for p in promises if p),
                    source=reply.department.name,
                )
            )
    return parts


def public_coverage(proposal: Proposal, published: list[Reply]) -> ProposalCoverage | None:
    """The public page's point-by-point comparison: None unless the office published the
    proposal's text (``public_text`` is empty otherwise); published replies only."""
    if not proposal.text_public or not proposal.public_text:
        return None
    return cover(proposal.public_text, coverage_parts(published, public=True))


def staff_coverage(proposal: Proposal, user) -> ProposalCoverage | None:
    """The admin's comparison: the original text against every reply ``user`` may read,
    drafts included (two queries)."""
    if not proposal.text:
        return None
    replies = list(
        Reply.objects.visible_to(user)
        .filter(proposal=proposal, superseded_by__isnull=True, withdrawn_at__isnull=True)
        .select_related("department")
        .prefetch_related(
            Prefetch("commitments", queryset=CommitmentItem.objects.order_by("number"))
        )
        .order_by("role", "letter_date", "pk")
    )
    return cover(proposal.text, coverage_parts(replies, public=False))


# --- 此前相关提案 (repeats) -----------------------------------------------------------------

# The earlier proposals a page lists, most alike first.
RELATED_LIMIT = 10


def _resolved_earlier() -> Q:
    """On a ``RelatedProposal``: its earlier proposal's published answer was classed A, or
    all the commitments of its published replies (one at least) are fulfilled."""
    answered_a = Reply.objects.published().filter(
        proposal=OuterRef("earlier"), classification=Classification.A
    )
    items = CommitmentItem.objects.filter(
        published_q("reply__"), reply__proposal=OuterRef("earlier")
    )
    return Q(Exists(answered_a)) | (
        Q(Exists(items)) & ~Q(Exists(items.exclude(status=CommitmentStatus.FULFILLED)))
    )


def _replies_of(earlier: list[Proposal]) -> None:
    """Each earlier proposal's published replies' classes and commitment counts, in one
    query: ``classes`` (labels), ``commitments`` (total), ``fulfilled``, ``overdue``,
    and ``resolved`` (classed A, or every commitment fulfilled)."""
    today = timezone.localdate()
    rows = (
        Reply.objects.published()
        .filter(proposal__in=[proposal.pk for proposal in earlier])
        .values("proposal_id", "classification")
        .annotate(
            total=Count("commitments"),
            fulfilled=Count(
                "commitments", filter=Q(commitments__status=CommitmentStatus.FULFILLED)
            ),
            overdue=Count(
                "commitments",
                filter=Q(commitments__due_on__lt=today)
                & ~Q(commitments__status=CommitmentStatus.FULFILLED),
            ),
            next_due=Min(
                "commitments__due_on",
                filter=Q(commitments__due_on__gte=today)
                & ~Q(commitments__status=CommitmentStatus.FULFILLED),
            ),
        )
        .order_by("proposal_id", "classification")
    )
    by_proposal: dict[int, list[dict]] = {}
    for row in rows:
        by_proposal.setdefault(row["proposal_id"], []).append(row)
    labels = dict(Classification.choices)
    for proposal in earlier:
        found = by_proposal.get(proposal.pk, [])
        classes = sorted({row["classification"] for row in found if row["classification"]})
        proposal.classes = [str(labels[value]) for value in classes]
        proposal.commitments = sum(row["total"] for row in found)
        proposal.fulfilled = sum(row["fulfilled"] for row in found)
        proposal.overdue = sum(row["overdue"] for row in found)
        dues = [row["next_due"] for row in found if row["next_due"]]
        proposal.next_due = min(dues) if dues else None
        proposal.resolved_reasons = _reasons(classes, proposal.commitments, proposal.fulfilled)


# The page's 此前相关提案 as one JSON array, read with the proposal (PostgreSQL). Written
# out rather than composed with the ORM: the composed expression (five joins, a JSON
# object, a correlated subquery) took Django 30 ms to compile per page, the database 2 ms
# to plan and run. The published condition is ``published_q``'s; the figures are
# ``_replies_of``'s. Its parameter is today (for 逾期).
_EARLIER_ROWS_SQL = """
SELECT jsonb_agg(jsonb_build_object(
    'pk', e.id, 'score', r.score, 'title', e.title, 'number', e.number,
    'number_stated', e.number_stated, 'slug', e.slug, 'session_id', s.id,
    'term', s.term, 'meeting', s.meeting, 'year', s.year, 'committee_id', c.id,
    'committee_slug', c.slug, 'committee_name', c.name,
    'stats', (
        SELECT jsonb_build_object(
            'classes', string_agg(DISTINCT rp.classification, ''),
            'commitments', count(ci.id),
            'fulfilled', count(ci.id) FILTER (WHERE ci.status = 'fulfilled'),
            'overdue', count(ci.id) FILTER (WHERE ci.due_on < %s AND ci.status <> 'fulfilled'),
            'next_due', min(ci.due_on) FILTER (WHERE ci.due_on >= %s AND ci.status <> 'fulfilled'))
        FROM replies_reply rp LEFT JOIN replies_commitmentitem ci ON ci.reply_id = rp.id
        WHERE rp.proposal_id = e.id AND rp.published_at IS NOT NULL
            AND rp.withdrawn_at IS NULL)))
FROM proposals_relatedproposal r
JOIN proposals_proposal e ON e.id = r.earlier_id AND e.is_public
JOIN proposals_session s ON s.id = e.session_id
JOIN proposals_committee c ON c.id = s.committee_id
WHERE r.proposal_id = proposals_proposal.id
"""


# The same array on SQLite (its JSON1 functions; a nested object is passed through
# ``json()`` so that it stays an object, and the classes are joined by commas).
_EARLIER_ROWS_SQLITE = (
    _EARLIER_ROWS_SQL.replace("jsonb_agg(jsonb_build_object(", "json_group_array(json_object(")
    .replace("'stats', (", "'stats', json((")
    .replace("SELECT jsonb_build_object(", "SELECT json_object(")
    .replace(
        "string_agg(DISTINCT rp.classification, '')", "group_concat(DISTINCT rp.classification)"
    )
    .replace("AND rp.withdrawn_at IS NULL)))", "AND rp.withdrawn_at IS NULL))))")
)


def _earlier_from_rows(rows: list[dict]) -> list[Proposal]:
    labels = dict(Classification.choices)
    earlier = []
    for row in sorted(rows, key=lambda row: (-row["score"], -row["pk"]))[:RELATED_LIMIT]:
        committee = Committee(
            pk=row["committee_id"], slug=row["committee_slug"], name=row["committee_name"]
        )
        session = Session(
            pk=row["session_id"],
            committee=committee,
            term=row["term"],
            meeting=row["meeting"],
            year=row["year"],
        )
        proposal = Proposal(
            pk=row["pk"],
            session=session,
            title=row["title"],
            number=row["number"],
            number_stated=row["number_stated"],
            slug=row["slug"],
            is_public=True,
        )
        proposal.score = row["score"]
        stats = row["stats"] or {}
        classes = sorted(stats.get("classes") or "")
        proposal.classes = [str(labels[value]) for value in classes if value in labels]
        proposal.commitments = stats.get("commitments", 0)
        proposal.fulfilled = stats.get("fulfilled", 0)
        proposal.overdue = stats.get("overdue", 0)
        next_due = stats.get("next_due")
        proposal.next_due = datetime.date.fromisoformat(next_due) if next_due else None
        proposal.resolved_reasons = _reasons(classes, proposal.commitments, proposal.fulfilled)
        earlier.append(proposal)
    return earlier


def _reasons(classes: list[str], commitments: int, fulfilled: int) -> list[str]:
    reasons = []
    if Classification.A in classes:
        reasons.append(_("此前答复为A类（已解决或采纳）"))
    if commitments and fulfilled == commitments:
        reasons.append(_("此前答复的承诺已全部完成"))
    return reasons


def earlier_related(proposal: Proposal) -> list[Proposal]:
    """此前相关提案 on a public page: the earlier public proposals of the same committee
    about the same problem (``RelatedProposal``, precomputed), most alike first, each with
    its replies' classes and commitment counts (see ``_replies_of``); never a proposal the
    public may not see. One query, whether there are any or not (a JSON array on
    PostgreSQL and SQLite; two queries on another database)."""
    template = {"postgresql": _EARLIER_ROWS_SQL, "sqlite": _EARLIER_ROWS_SQLITE}.get(
        connection.vendor
    )
    if template is not None:
        today = timezone.localdate()
        sql = template.replace("= proposals_proposal.id", "= %s")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ({sql})", [today, today, proposal.pk])
            rows = cursor.fetchone()[0]
        if isinstance(rows, str):
            rows = json.loads(rows)
        return _earlier_from_rows(rows or [])
    return _earlier_among(public_proposals(), proposal)


def _earlier_among(proposals: QuerySet[Proposal], proposal: Proposal) -> list[Proposal]:
    """The earlier related proposals of ``proposal`` among ``proposals``, most alike
    first, with their replies' classes and counts (``_replies_of``)."""
    earlier = list(
        proposals.filter(later_links__proposal=proposal)
        .annotate(score=F("later_links__score"))
        .select_related("session__committee")
        .defer("search_vector")
        .order_by("-score", "-pk")[:RELATED_LIMIT]
    )
    if earlier:
        _replies_of(earlier)
    return earlier


def repeat_flags(proposal: Proposal, user) -> list[Proposal]:
    """For the proposal office: the earlier related proposals ``user`` may see, each with
    its classes, counts and ``resolved_reasons`` — the problem was said to be solved (an A
    reply, or every commitment fulfilled), yet it is raised again."""
    return _earlier_among(Proposal.objects.visible_to(user), proposal)


def repeated_proposals(queryset: QuerySet[Proposal], user, *, resolved: bool) -> QuerySet:
    """The proposals of ``queryset`` with an earlier related proposal ``user`` may see —
    with ``resolved``, only those whose earlier one was said to be solved (the flag)."""
    links = RelatedProposal.objects.filter(
        proposal=OuterRef("pk"), earlier__in=Proposal.objects.visible_to(user)
    )
    if resolved:
        links = links.filter(_resolved_earlier())
    return queryset.filter(Exists(links))


# --- 兑现率 (were promises kept?) from the roll-ups ----------------------------------------


def _only_where(condition: Q, subquery: QuerySet) -> Case:
    return Case(When(condition, then=Subquery(subquery)), default=Value(None))


# The tally columns 兑现率 is read from (``rollups.kept_counts``).
KEPT_COLUMNS = (
    "kept_on_time",
    "kept_extended",
    "kept_late",
    "overdue_partial",
    "overdue_not_started",
    "overdue_in_progress",
    "overdue_not_fulfilled",
)


def _kept_since(
    today: datetime.date, since: datetime.date | None, c: int, s: int, d: int
) -> dict[tuple, dict[str, int]]:
    """``rollups.kept_correction`` for a (committee, session, department) scope (0: all),
    by (committee, year, department)."""
    scope = Q()
    if s:
        scope &= Q(reply__proposal__session_id=s)
    elif c:
        scope &= Q(reply__proposal__session__committee_id=c)
    if d:
        scope &= Q(owner_id=d)
    return rollups.kept_correction(
        today,
        since=since,
        scope=scope,
        keys=(
            "reply__proposal__session__committee_id",
            "reply__proposal__session__year",
            "owner_id",
        ),
    )


def kept_figures(
    *,
    committee: Committee | None = None,
    session: Session | None = None,
    department: Department | None = None,
    by_department: bool = True,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """兑现率 of a scope (``replies.kept``), read from the roll-ups: ``total``, and
    ``KeptRow``s by department (when ``by_department`` and no department is chosen), by
    committee (no committee chosen) and by year (the sessions' rows summed); with the
    departments' names and the committees' slugs and names. One query, whatever the number
    of commitments (two on a day the nightly job has not moved the tallies to yet)."""
    today = today or timezone.localdate()
    if session is not None:
        committee = session.committee
    c = committee.pk if committee else 0
    s = session.pk if session else 0
    d = department.pk if department else 0
    wanted = Q(committee_id=c, session_id=s, department_id=d)
    if by_department and not d:
        wanted |= Q(committee_id=c, session_id=s, department_id__gt=0)
    if not c:
        wanted |= Q(committee_id__gt=0, session_id=0, department_id=d)
    in_committee = Q(committee_id=c) if c else Q(committee_id__gt=0)
    wanted |= in_committee & Q(department_id=d) & (Q(session_id=s) if s else Q(session_id__gt=0))
    # Only rows with anything past its deadline (overdue covers every class but the
    # fulfilled ones), as plain values: a province has thousands of departments.
    counted = Q(overdue__gt=0) | Q(kept_on_time__gt=0) | Q(kept_extended__gt=0) | Q(kept_late__gt=0)
    # Each name only where a row of its kind needs it (CASE: the sub-query runs for those).
    department_row = Q(committee_id=c, session_id=s, department_id__gt=0)
    committee_row = Q(committee_id__gt=0, session_id=0)
    rows = [
        SimpleNamespace(**row)
        for row in Tally.objects.filter(wanted & counted)
        .values("committee_id", "session_id", "department_id", *KEPT_COLUMNS)
        .annotate(
            tallied_on=Subquery(TallyState.objects.filter(pk=1).values("as_of")[:1]),
            year=_only_where(
                Q(session_id__gt=0),
                Session.objects.filter(pk=OuterRef("session_id")).order_by().values("year")[:1],
            ),
            department_name=_only_where(
                department_row,
                Department.objects.filter(pk=OuterRef("department_id"))
                .order_by()
                .values("name")[:1],
            ),
            committee_slug=_only_where(
                committee_row,
                Committee.objects.filter(pk=OuterRef("committee_id")).order_by().values("slug")[:1],
            ),
            committee_name=_only_where(
                committee_row,
                Committee.objects.filter(pk=OuterRef("committee_id")).order_by().values("name")[:1],
            ),
        )
    ]
    total = KeptRow(key=())
    departments: dict[int, KeptRow] = {}
    committees: dict[int, KeptRow] = {}
    years: dict[int | None, KeptRow] = {}
    department_names: dict[int, str] = {}
    committee_names: dict[int, tuple[str, str]] = {}

    def add(row: KeptRow, counts: dict[str, int]) -> None:
        for value, count in counts.items():
            row.counts[value] += count

    for row in rows:
        counts = rollups.kept_counts(row)
        key = (row.committee_id, row.session_id, row.department_id)
        if key == (c, s, d):
            add(total, counts)
        if row.committee_id == c and row.session_id == s and row.department_id and not d:
            add(departments.setdefault(row.department_id, KeptRow(key=row.department_id)), counts)
            department_names[row.department_id] = row.department_name or ""
        if not c and row.committee_id and not row.session_id and row.department_id == d:
            add(committees.setdefault(row.committee_id, KeptRow(key=row.committee_id)), counts)
            committee_names[row.committee_id] = (row.committee_slug or "", row.committee_name or "")
        if row.session_id and row.department_id == d and (row.session_id == s or not s):
            add(years.setdefault(row.year, KeptRow(key=row.year)), counts)
    # The commitments that fell due since the tallies' day (none once the job has run).
    found = _kept_since(today, rows[0].tallied_on if rows else None, c, s, d)
    for (committee_id, year, owner), counts in found.items():
        add(total, counts)
        if by_department and not d:
            add(departments.setdefault(owner, KeptRow(key=owner)), counts)
        if not c:
            add(committees.setdefault(committee_id, KeptRow(key=committee_id)), counts)
        add(years.setdefault(year, KeptRow(key=year)), counts)
    if found:
        missing_departments = {key for key in departments if key not in department_names}
        missing_committees = {key for key in committees if key not in committee_names}
        department_names.update(
            Department.objects.filter(pk__in=missing_departments).values_list("pk", "name")
        )
        committee_names.update(
            (pk, (slug, name))
            for pk, slug, name in Committee.objects.filter(pk__in=missing_committees).values_list(
                "pk", "slug", "name"
            )
        )
    keep = [department for department, row in departments.items() if row.total]
    return {
        "total": total,
        "by_department": {key: departments[key] for key in keep},
        "by_committee": {key: row for key, row in committees.items() if row.total},
        "by_year": {key: row for key, row in years.items() if row.total},
        "department_names": department_names,
        "committee_names": committee_names,
    }


def kept_table(
    *,
    committee: Committee | None = None,
    session: Session | None = None,
    department: Department | None = None,
    by_department: bool = True,
    today: datetime.date | None = None,
) -> list[tuple[str, int | None, str, KeptRow]]:
    """Every (committee, year, department) cell of the scope with anything past its
    deadline — or (committee, year) when not ``by_department`` — as (committee name, year,
    department name, ``KeptRow``), from the roll-ups' session rows (plus the day's
    correction): the 兑现率 CSV."""
    today = today or timezone.localdate()
    if session is not None:
        committee = session.committee
    rows = Tally.objects.filter(session_id__gt=0)
    rows = rows.filter(committee_id=committee.pk) if committee else rows.filter(committee_id__gt=0)
    if session is not None:
        rows = rows.filter(session_id=session.pk)
    if department is not None:
        rows = rows.filter(department_id=department.pk)
    else:
        rows = rows.filter(department_id__gt=0) if by_department else rows.filter(department_id=0)
    rows = list(
        rows.annotate(
            tallied_on=Subquery(TallyState.objects.filter(pk=1).values("as_of")[:1]),
            year=Subquery(
                Session.objects.filter(pk=OuterRef("session_id")).order_by().values("year")[:1]
            ),
        )
    )
    cells: dict[tuple, KeptRow] = {}

    def add(key: tuple, counts: dict[str, int]) -> None:
        row = cells.setdefault(key, KeptRow(key=key))
        for value, count in counts.items():
            row.counts[value] += count

    for row in rows:
        key = (row.committee_id, row.year) + ((row.department_id,) if by_department else ())
        add(key, rollups.kept_counts(row))
    found = _kept_since(
        today,
        rows[0].tallied_on if rows else None,
        committee.pk if committee else 0,
        session.pk if session else 0,
        department.pk if department else 0,
    )
    for (committee_id, year, owner), counts in found.items():
        add((committee_id, year) + ((owner,) if by_department else ()), counts)
    cells = {key: row for key, row in cells.items() if row.total}
    committees = dict(
        Committee.objects.filter(pk__in={key[0] for key in cells}).values_list("pk", "name")
    )
    departments = (
        dict(Department.objects.filter(pk__in={key[2] for key in cells}).values_list("pk", "name"))
        if by_department
        else {}
    )
    table = [
        (
            committees.get(key[0], ""),
            key[1],
            departments.get(key[2], "") if by_department else "",
            row,
        )
        for key, row in cells.items()
    ]
    table.sort(key=lambda item: (item[0], -(item[1] or 0), item[2]))
    return table
