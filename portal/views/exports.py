"""Open data: the commitments as CSV and JSON downloads."""

import itertools
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from core import spreadsheet
from portal.filters import CommitmentFilter
from portal.serializers import commitment_row
from replies import selectors


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export_rows(request):
    """The rows, streamed. The first is read here, before the response starts: when the
    database cannot be reached, the visitor gets the 503 page instead of a 200 cut short."""
    filterset = CommitmentFilter(request.GET or None, queryset=selectors.public_commitments())
    commitments = (
        filterset.qs.select_related("reply__proposal__session__committee", "owner", "topic")
        .defer("reply__proposal__search_vector")
        .order_by("pk")
    )
    rows = (commitment_row(request, item) for item in _in_batches(commitments))
    first = next(rows, None)
    return itertools.chain([first], rows) if first is not None else iter(())


EXPORT_BATCH = 2000


def _in_batches(commitments):
    """The rows in pk order, a batch of ordinary queries at a time (keyset pagination).
    Not a server-side cursor: a download read slowly, or abandoned half-way, holds no
    cursor or transaction open on a database connection that other queries share."""
    last = 0
    while True:
        batch = list(commitments.filter(pk__gt=last)[:EXPORT_BATCH])
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        last = batch[-1].pk


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


@require_safe
def commitment_export_csv(request):
    writer = spreadsheet.writer(_Echo())
    rows = _export_rows(request)

    def lines():
        # A byte-order mark so spreadsheet programs read the Chinese text as UTF-8.
        yield "\ufeff" + writer.writerow([str(label) for _key, label in CSV_COLUMNS])
        for row in rows:
            yield writer.writerow([row[key] for key, _label in CSV_COLUMNS])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="commitments.csv"'
    return response


@require_safe
def commitment_export_json(request):
    rows = _export_rows(request)

    def chunks():
        yield "["
        for index, row in enumerate(rows):
            yield ("," if index else "") + json.dumps(
                row, ensure_ascii=False, cls=DjangoJSONEncoder
            )
        yield "]"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="commitments.json"'
    return response
