"""portal.sitemaps: proposals and departments."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = {"sitemap": lambda data: reverse("portal:sitemap")}


@pytest.mark.parametrize("name", PAGES)
def test_page_query_count_is_constant(page_queries, name):
    """Every page runs the same few queries, uncached, whatever the data size: at most ten."""
    few, many = page_queries(PAGES[name])
    assert many == few
    assert many <= 10, name
