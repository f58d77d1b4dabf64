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
