"""Atom feeds of newly published replies (all, and per department)."""

import re

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from proposals.models import Department
from replies.selectors import public_replies

FEED_SIZE = 30
# XML 1.0 has no place for control characters other than tab and newlines: a stored row
# with one (a letter imported before they were removed) must not break the feed.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", str(text))


class LatestRepliesFeed(Feed):
    feed_type = Atom1Feed
    title = _("提案答复追踪：最新公开的答复")
    subtitle = _("政协提案与人大代表建议的最新答复函")

    def link(self):
        return reverse("portal:search")

    def replies(self):
        return public_replies().select_related("proposal__session__committee", "department")

    def items(self):
        return self.replies().order_by("-published_at", "-pk")[:FEED_SIZE]

    def item_title(self, item):
        return xml_safe(f"{item.department.name}：{item.proposal}")

    def item_description(self, item):
        return xml_safe(item.public_body[:300])

    def item_link(self, item):
        # A row without a URL of its own still gets an entry, linked to the search page.
        return item.get_absolute_url() or reverse("portal:search")

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at


class DepartmentRepliesFeed(LatestRepliesFeed):
    def get_object(self, request, pk: int):
        return get_object_or_404(Department, pk=pk)

    def title(self, obj):
        return xml_safe(_("%(department)s的最新公开答复") % {"department": obj.name})

    def link(self, obj):
        return obj.get_absolute_url()

    def items(self, obj):
        return self.replies().filter(department=obj).order_by("-published_at", "-pk")[:FEED_SIZE]
