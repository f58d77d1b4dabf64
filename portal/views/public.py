"""Public pages: thin views that validate, call a selector and render."""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import F
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from core.caching import cached_until_write, public_page, snapshot_key
from core.versioning import Version
from portal.filters import CommitmentFilter, ProposalFilter
from portal.serializers import proposal_data
from portal.views.common import KnownCountPaginator, paginate, query_without
from portal.views.kept import kept_context
from proposals import search
from proposals.models import Department, Proposal, Session
from replies import selectors

RESULTS_PER_PAGE = 20
FACETED_FILTERS = [
    "committee",
    "session",
    "kind",
    "department",
    "topic",
    "classification",
    "status",
    "year",
]
COMMITMENTS_PER_PAGE = 50
COMMITMENT_SORTS = {
    "due": gettext_lazy("完成期限（近→远）"),
    "updated": gettext_lazy("最近更新"),
    "progress": gettext_lazy("进度（高→低）"),
}
FACET_OPTIONS = 30
FACET_SAMPLE = 200
SORTS = {
    "relevance": gettext_lazy("相关度"),
    "newest": gettext_lazy("答复日期（新→旧）"),
    "oldest": gettext_lazy("答复日期（旧→新）"),
}


@require_safe
@public_page
def home(request):
    return render(
        request,
        "portal/home.html",
        {"figures": selectors.home_figures(), "latest": selectors.latest_replies(10)},
    )


class PinnedFirst:
    """``items`` (a list or a queryset of ids) with ``pinned`` ids moved to the front, sliced
    lazily as the paginator asks (a queryset is read one page at a time)."""

    def __init__(self, pinned: list[int], items) -> None:
        self.pinned = pinned
        self.rest = (
            items.exclude(pk__in=pinned)
            if hasattr(items, "exclude")
            else [pk for pk in items if pk not in pinned]
        )

    def __getitem__(self, window: slice) -> list[int]:
        start, stop = window.start or 0, window.stop
        head = self.pinned[start:stop]
        skip = len(self.pinned)
        tail = (
            []
            if stop is not None and stop <= skip
            else list(self.rest[max(start - skip, 0) : None if stop is None else stop - skip])
        )
        return head + tail


@require_safe
@public_page
def proposal_search(request):
    filterset = ProposalFilter(request.GET or None, queryset=selectors.public_proposals())
    matches = filterset.qs
    query = (request.GET.get("q") or "").strip()[: search.MAX_QUERY_LENGTH]
    sort = request.GET.get("sort") or ("relevance" if query else "newest")
    if sort not in SORTS:
        sort = "newest"
    # Count, rank and facet the first matches only; "1,000+" stays true.
    rows, capped = search.first_matches(
        matches, search.match_limit(query), searched=bool(search.to_tsquery(query))
    )
    count = len(rows)
    ranked = sort == "relevance" and query and search.uses_tsvector() and not capped
    if capped:
        # Dates order all the matches, not just the first ones the index yields: let the
        # database do it. A common word (more matches than are ranked) is shown newest
        # first under "relevance" too: ranking the index's first matches would put the
        # lowest ids on page 1.
        order = (
            [F("replied_on").asc(nulls_last=True), "pk"]
            if sort == "oldest"
            else [F("replied_on").desc(nulls_last=True), "-pk"]
        )
        items = matches.order_by(*order).values_list("pk", flat=True)
    else:
        ranks = search.relevance([row["pk"] for row in rows], query) if ranked else {}
        items = search.sort_matches(rows, sort, ranks)
    number = search.number_of(query) if sort == "relevance" else None
    if number is not None:
        # A query that is a proposal's number puts that proposal first.
        written = {number, number.upper()}  # as letters write it (D022), or as typed
        pinned = list(matches.filter(number__in=written).values_list("pk", flat=True)[:5])
        if pinned:
            items = PinnedFirst(pinned, items)
    paginator = KnownCountPaginator(items, RESULTS_PER_PAGE, count=count, capped=capped)
    page = paginate(request, items, RESULTS_PER_PAGE, paginator)
    page_ids = list(page.object_list)
    found = (
        Proposal.objects.filter(pk__in=page_ids)
        .select_related("session__committee")
        .defer("search_vector")
        .in_bulk()
    )
    page.object_list = [found[pk] for pk in page_ids if pk in found]
    results = selectors.search_results(list(page.object_list))
    for proposal in results:
        proposal.snippet = search.snippet(
            "\n".join(reply.public_body for reply in proposal.public_replies), query
        )
        proposal.title_marked = search.highlight(proposal.title, query)
    # Past the limit the counts are lower bounds anyway: take them from fewer rows.
    facets = selectors.proposal_facets(rows[:FACET_SAMPLE] if capped else rows, capped=capped)
    controls = []
    for name in FACETED_FILTERS:
        selected = request.GET.get(name, "")
        # The most frequent values: a list of 2,000 departments helps nobody, and
        # rendering it cost more than the search itself (docs/performance.md).
        options = facets.get(name, [])[:FACET_OPTIONS]
        labels = {option["value"]: option["label"] for option in options}
        if selected and selected not in labels:
            # Keep the user's choice visible even when it matches nothing now, named in
            # words when it is a fixed choice (状态, 类别, 办理结果), not by its code.
            choices = {
                str(value): label
                for value, label in filterset.filters[name].extra.get("choices", [])
            }
            labels[selected] = choices.get(selected, selected)
            options = [*options, {"value": selected, "label": labels[selected], "count": 0}]
        controls.append(
            {
                "name": name,
                "label": filterset.filters[name].label,
                "selected": selected,
                "selected_label": labels.get(selected, selected),
                "options": options,
            }
        )
    active = [control for control in controls if control["selected"]]
    return render(
        request,
        "portal/proposal_filter.html",
        {
            "filter": filterset,
            "query": query,
            "page": page,
            "result_count": f"{count:,}+" if capped else count,
            "results": results,
            "controls": controls,
            "sort": sort,
            "sorts": SORTS,
            "active_filters": active,
            "page_query": query_without(request),
            "reset_filters_query": urlencode({"q": query}) if query else "",
        },
    )


def _proposal_page(request, committee: str, session: str, number: str):
    """The public proposal's page data, or the notice of a withdrawn answer (410), or 404.

    A proposal without a published reply does not exist for the public — unless its
    replies were withdrawn: then the page says so, with when and why, and nothing else.
    """
    proposal = selectors.proposal_by_path(
        committee=committee,
        session=session,
        number=number,
        # Read already for the page's version (``_proposal_scope``).
        candidates=getattr(request, "_proposal_candidates", None),
    )
    if proposal is not None and proposal.slug and proposal.slug != number:
        raise Moved(proposal)
    if proposal is not None and proposal.is_public:
        return selectors.proposal_page(proposal), 200
    if proposal is not None:
        notices = selectors.withdrawal_notices(proposal)
        if notices:
            return {"proposal": proposal, "withdrawn": notices, "replies": []}, 410
    raise Http404(_("没有找到这件提案，或其答复尚未公开。"))


class Moved(Exception):
    """An older URL of a proposal (by its number): sent on to its URL for good."""

    def __init__(self, proposal: Proposal) -> None:
        self.proposal = proposal


def _proposal_scope(request, committee: str, session: str, number: str) -> str | None:
    """A proposal's page (and its JSON) shows that proposal's data only: cached by its
    own page version (``core.caching.public_page``)."""
    stored = None
    if settings.PAGE_SNAPSHOTS and not request.GET:
        stored = snapshot_key(request.get_host(), request.path)
    candidates = selectors.proposal_candidates(
        committee=committee, session=session, number=number, snapshot=stored
    )
    request._proposal_candidates = candidates
    if candidates and candidates[0].version_value is not None:
        first = candidates[0]
        request._public_version = Version(
            first.version_value,
            first.version_changed_at,
            first.version_broad,
            first.version_department_figures_public,
        )
    if stored is not None and candidates:
        # The pre-rendered page, if any (portal.snapshots): served while current.
        first = candidates[0]
        request.page_snapshot = (
            first.snapshot_id,
            first.snapshot_token,
            first.snapshot_valid_until,
        )
    return selectors.page_version(candidates)


@require_safe
@public_page(scope=_proposal_scope)
def proposal_detail(request, committee: str, session: str, number: str):
    return render_proposal(request, committee, session, number)


def render_proposal(request, committee: str, session: str, number: str):
    """The proposal's page (or its withdrawal notice, or a redirect from an older URL),
    rendered for the public: by the view, and ahead of visitors by ``portal.snapshots``.
    ``response.valid_until``: the day something on it turns overdue."""
    try:
        context, status = _proposal_page(request, committee, session, number)
    except Moved as moved:
        return redirect(moved.proposal.get_absolute_url(), permanent=True)
    context["today"] = timezone.localdate()
    template = "portal/proposal_detail.html" if status == 200 else "portal/proposal_withdrawn.html"
    response = render(request, template, context, status=status)
    response.valid_until = context["summary"]["changes_on"] if status == 200 else None
    return response


@require_safe
@public_page(scope=_proposal_scope)
def proposal_json(request, committee: str, session: str, number: str):
    try:
        context, status = _proposal_page(request, committee, session, number)
    except Moved as moved:
        return redirect(moved.proposal.get_absolute_url() + "data.json", permanent=True)
    data = proposal_data(request, context)
    response = JsonResponse(
        data, status=status, json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response.valid_until = context["summary"]["changes_on"] if status == 200 else None
    return response


@require_safe
@public_page
def commitment_list(request):
    filterset = CommitmentFilter(request.GET or None, queryset=selectors.public_commitments())
    sort = request.GET.get("sort") or "due"
    if sort not in COMMITMENT_SORTS:
        sort = "due"
    commitments = selectors.commitment_list(filterset.qs, sort)
    # Counting a million commitments takes a second: every page of one filter shares
    # the counts, and the total serves the paginator too.
    counts = selectors.commitment_counts(filterset)
    if counts is None:
        # A filter the roll-ups do not hold (a topic, due dates): counted, and shared by
        # every page of the filter until the next write.
        counts = cached_until_write(
            "commitment-counts",
            [query_without(request, "format", "sort")],
            lambda: selectors.status_counts(filterset.qs),
        )
    paginator = KnownCountPaginator(
        commitments, COMMITMENTS_PER_PAGE, count=counts["total"], capped=False
    )
    page = paginate(request, commitments, COMMITMENTS_PER_PAGE, paginator)
    return render(
        request,
        "portal/commitment_filter.html",
        {
            "filter": filterset,
            "page": page,
            "counts": counts,
            **_commitment_choices(request, filterset),
            "today": timezone.localdate(),
            "sort": sort,
            "sorts": COMMITMENT_SORTS,
            "page_query": query_without(request),
            "export_query": query_without(request, "format", "sort"),
        },
    )


def _commitment_choices(request, filterset) -> dict[str, Any]:
    """Session and department choices that stay short at province scale (thousands of
    each): the chosen committee's sessions and departments, or with no committee chosen
    the departments with the most commitments; and whatever is selected now. The committee
    and the selections are the filter's own (already read)."""
    cleaned = selectors.chosen_filters(filterset)
    committee = cleaned.get("committee")
    sessions: list = []
    if committee is not None:
        sessions = list(Session.objects.filter(committee=committee).select_related("committee"))
    departments = selectors.commitment_departments(committee)
    for name, rows in (("session", sessions), ("department", departments)):
        selected = cleaned.get(name)
        if selected is not None and selected.pk not in {row.pk for row in rows}:
            rows.append(selected)
    return {
        "session_choices": [(str(row.pk), str(row)) for row in sessions],
        "department_choices": [(str(row.pk), row.name) for row in departments],
        "listed_departments": selectors.LISTED_DEPARTMENTS,
    }


@require_safe
@public_page
def department_detail(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    context = {"department": department, "today": timezone.localdate()}
    context.update(selectors.department_summary(department))
    context.update(kept_context(user=request.user, department=department))
    return render(request, "portal/department_detail.html", context)


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri("/sitemap.xml")
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
