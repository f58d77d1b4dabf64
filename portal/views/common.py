"""Paging and query-string helpers shared by the portal's views."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.utils.translation import gettext as _


class KnownCountPaginator(Paginator):
    """A paginator told its count (capped at ``search.MATCH_LIMIT``) instead of asking."""

    def __init__(self, object_list, per_page: int, *, count: int, capped: bool) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count
        self.capped = capped

    @property
    def count(self) -> int:
        return self.known_count


def paginate(request, items, per_page: int, paginator: Paginator | None = None):
    """A page of ``items``; a page number that is not a page is a 404, as for any bad URL."""
    paginator = paginator or Paginator(items, per_page)
    number = request.GET.get("page") or 1
    try:
        page = paginator.page(number)
    except (PageNotAnInteger, EmptyPage) as error:
        raise Http404(_("没有这一页。")) from error
    # The numbers the pagination links to: both ends and two either side of this page.
    page.numbers = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def query_without(request, *names: str) -> str:
    params = request.GET.copy()
    for name in (*names, "page"):
        params.pop(name, None)
    return params.urlencode()


def pk_from_query(value: str | None) -> int | None:
    """A primary key from a query string, or None: ASCII digits only ("²".isdigit() is
    true, but int("²") fails) and within a bigint."""
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


# The dashboard's SVG bars are drawn in units of their own: a bar is BAR_WIDTH wide.
BAR_WIDTH = 1000


def stacked_bar(counts: dict[str, int], scale: int, choices, colours: dict[str, str]) -> list[dict]:
    """Segments of one SVG bar in the order of ``choices`` ((value, label) pairs), in the
    bar's own units (``BAR_WIDTH`` for ``scale``); values without a count draw nothing."""
    segments, offset = [], 0.0
    for value, label in choices:
        count = counts.get(value, 0)
        width = BAR_WIDTH * count / scale if scale else 0
        if count:
            segments.append(
                {
                    "label": label,
                    "count": count,
                    "x": round(offset, 2),
                    "width": round(width, 2),
                    "colour": colours[value],
                }
            )
        offset += width
    return segments
