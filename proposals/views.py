"""Public pages: thin views that validate, call a selector and render."""

import csv
import json
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import condition, require_GET

from proposals import search, selectors
from proposals.filters import CommitmentFilter, ProposalFilter
from proposals.models import Department, Proposal
from proposals.serializers import commitment_row, proposal_data

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
SORTS = {
    "relevance": gettext_lazy("相关度"),
    "newest": gettext_lazy("答复日期（新→旧）"),
    "oldest": gettext_lazy("答复日期（旧→新）"),
}


def paginate(request, items, per_page: int):
    """A page of ``items``; a page number that is not a page is a 404, as for any bad URL."""
    paginator = Paginator(items, per_page)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except (PageNotAnInteger, EmptyPage) as error:
        raise Http404(_("没有这一页。")) from error


def query_without(request, *names: str) -> str:
    params = request.GET.copy()
    for name in (*names, "page"):
        params.pop(name, None)
    return params.urlencode()


@require_GET
def home(request):
    return render(
        request,
        "proposals/home.html",
        {"figures": selectors.home_figures(), "latest": selectors.latest_replies(10)},
    )


@require_GET
def proposal_search(request):
    filterset = ProposalFilter(request.GET or None, queryset=Proposal.objects.public())
    proposals = filterset.qs.select_related("session__committee")
    query = (request.GET.get("q") or "").strip()[: search.MAX_QUERY_LENGTH]
    sort = request.GET.get("sort") or ("relevance" if query else "newest")
    if sort not in SORTS:
        sort = "newest"
    if sort == "relevance" and query and search.uses_tsvector():
        proposals = search.order_by_relevance(proposals, query)
    elif sort == "oldest":
        proposals = proposals.order_by(F("replied_on").asc(nulls_last=True), "pk")
    else:
        proposals = proposals.order_by(F("replied_on").desc(nulls_last=True), "-pk")
    page = paginate(request, proposals, RESULTS_PER_PAGE)
    results = selectors.search_results(list(page.object_list))
    for proposal in results:
        proposal.snippet = search.snippet(
            "\n".join(reply.body for reply in proposal.public_replies), query
        )
        proposal.title_marked = search.highlight(proposal.title, query)
    facets = selectors.proposal_facets(filterset.qs)
    controls = []
    for name in FACETED_FILTERS:
        selected = request.GET.get(name, "")
        options = facets.get(name, [])
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
        "proposals/proposal_filter.html",
        {
            "filter": filterset,
            "query": query,
            "page": page,
            "results": results,
            "controls": controls,
            "sort": sort,
            "sorts": SORTS,
            "active_filters": active,
            "page_query": query_without(request),
            "reset_filters_query": urlencode({"q": query}) if query else "",
        },
    )


def _public_proposal(request, committee: str, session: str, number: str) -> Proposal | None:
    """Looked up once per request: the conditional-GET check and the view share it."""
    if not hasattr(request, "_public_proposal"):
        proposal = selectors.proposal_by_path(committee=committee, session=session, number=number)
        # A proposal without a published reply does not exist for the public.
        request._public_proposal = proposal if proposal and proposal.is_public else None
    return request._public_proposal


def _proposal_or_404(request, committee: str, session: str, number: str) -> Proposal:
    proposal = _public_proposal(request, committee, session, number)
    if proposal is None:
        raise Http404(_("没有找到这件提案，或其答复尚未公开。"))
    return proposal


def _last_modified(request, committee, session, number, **kwargs):
    proposal = _public_proposal(request, committee, session, number)
    return selectors.proposal_last_modified(proposal) if proposal else None


@require_GET
@condition(last_modified_func=_last_modified)
def proposal_detail(request, committee: str, session: str, number: str):
    proposal = _proposal_or_404(request, committee, session, number)
    context = selectors.proposal_page(proposal)
    context["today"] = timezone.localdate()
    return render(request, "proposals/proposal_detail.html", context)


@require_GET
@condition(last_modified_func=_last_modified)
def proposal_json(request, committee: str, session: str, number: str):
    proposal = _proposal_or_404(request, committee, session, number)
    data = proposal_data(request, selectors.proposal_page(proposal))
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})


@require_GET
def commitment_list(request):
    filterset = CommitmentFilter(request.GET or None, queryset=selectors.public_commitments())
    commitments = filterset.qs.select_related(
        "reply__proposal__session__committee", "owner", "topic"
    ).order_by(F("due_on").asc(nulls_last=True), "pk")
    page = paginate(request, commitments, COMMITMENTS_PER_PAGE)
    return render(
        request,
        "proposals/commitment_filter.html",
        {
            "filter": filterset,
            "page": page,
            "counts": selectors.status_counts(filterset.qs),
            "today": timezone.localdate(),
            "page_query": query_without(request),
            "export_query": query_without(request, "format"),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export_rows(request):
    filterset = CommitmentFilter(request.GET or None, queryset=selectors.public_commitments())
    commitments = filterset.qs.select_related(
        "reply__proposal__session__committee", "owner", "topic"
    ).order_by("pk")
    return (commitment_row(request, item) for item in commitments.iterator(chunk_size=2000))


CSV_COLUMNS = [
    ("id", gettext_lazy("编号")),
    ("proposal", gettext_lazy("提案")),
    ("proposal_title", gettext_lazy("提案标题")),
    ("session", gettext_lazy("会议")),
    ("number", gettext_lazy("序号")),
    ("heading", gettext_lazy("小标题")),
    ("owner", gettext_lazy("责任单位")),
    ("topic", gettext_lazy("主题")),
    ("status", gettext_lazy("状态")),
    ("overdue", gettext_lazy("是否逾期")),
    ("due_on", gettext_lazy("完成期限")),
    ("progress", gettext_lazy("进度（%）")),
    ("url", gettext_lazy("网址")),
]


@require_GET
def commitment_export_csv(request):
    writer = csv.writer(_Echo())

    def lines():
        # A byte-order mark so spreadsheet programs read the Chinese text as UTF-8.
        yield "\ufeff" + writer.writerow([str(label) for _key, label in CSV_COLUMNS])
        for row in _export_rows(request):
            yield writer.writerow([row[key] for key, _label in CSV_COLUMNS])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="commitments.csv"'
    return response


@require_GET
def commitment_export_json(request):
    def chunks():
        yield "["
        for index, row in enumerate(_export_rows(request)):
            yield ("," if index else "") + json.dumps(
                row, ensure_ascii=False, cls=DjangoJSONEncoder
            )
        yield "]"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="commitments.json"'
    return response


@require_GET
def department_detail(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    context = {"department": department, "today": timezone.localdate()}
    context.update(selectors.department_summary(department))
    return render(request, "proposals/department_detail.html", context)


@require_GET
def robots_txt(request):
    sitemap = request.build_absolute_uri("/sitemap.xml")
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
