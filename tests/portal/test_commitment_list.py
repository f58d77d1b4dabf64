"""The commitment list (/commitments/): its orders, page numbers, progress bars only where
a target has a reported value, and the department filter without a committee chosen."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.views import public
from replies import selectors
from replies.models import CommitmentItem, CommitmentStatus
from replies.services import progress
from tests import factories
from tests.helpers import body

pytestmark = pytest.mark.django_db

URL = reverse("portal:commitments")


def _order(page: str, items) -> list[int]:
    """The given commitments in the order the page lists them."""
    wanted = {item.pk for item in items}
    listed = [int(pk) for pk in re.findall(r"#commitment-(\d+)", page)]
    return [pk for pk in listed if pk in wanted]


def _row(page: str, item) -> str:
    start = page.index(f"#commitment-{item.pk}")
    return page[start : page.index("</tr>", start)]


@pytest.fixture
def three():
    """Three public commitments of one reply: due soonest / latest / none; progress
    reported 50%, none, 100%; updated last / first / in between."""
    reply = factories.ReplyFactory()
    due = [datetime.date(2030, 1, 1), datetime.date(2031, 1, 1), None]
    items = [
        factories.CommitmentFactory(reply=reply, number=number, due_on=day)
        for number, day in enumerate(due, 1)
    ]
    targets = [factories.TargetFactory(commitment=item, quantity=20) for item in items]
    reports = {0: Decimal(10), 2: Decimal(20)}
    progress.post_updates(
        [
            progress.ProgressUpdate(
                commitment_id=items[index].pk,
                status=CommitmentStatus.IN_PROGRESS,
                date=datetime.date(2025, 1, 1),
                achieved={targets[index].pk: value},
            )
            for index, value in reports.items()
        ]
    )
    now = timezone.now()
    for item, minutes in zip(items, (1, 3, 2), strict=True):
        CommitmentItem.objects.filter(pk=item.pk).update(
            updated_at=now - datetime.timedelta(minutes=minutes)
        )
    return items


def test_sorts_by_due_date_last_update_or_progress(client, three):
    first, second, third = three
    assert _order(body(client.get(URL)), three) == [first.pk, second.pk, third.pk]
    page = body(client.get(URL, {"sort": "updated"}))
    assert _order(page, three) == [first.pk, third.pk, second.pk]
    assert '<option value="updated" selected>' in page
    page = body(client.get(URL, {"sort": "progress"}))
    assert _order(page, three) == [third.pk, first.pk, second.pk]


def test_an_unknown_sort_is_the_due_date_order(client, three):
    response = client.get(URL, {"sort": "pk; drop table"})
    assert response.status_code == 200
    assert _order(body(response), three) == [item.pk for item in three]


def test_progress_bar_only_where_a_target_has_a_reported_value(client, three):
    first, second, third = three
    page = body(client.get(URL))
    assert '<progress max="100" value="50"' in _row(page, first)
    assert '<progress max="100" value="100"' in _row(page, third)
    # Nothing reported: 暂无数据, neither a bar nor 0%.
    unreported = _row(page, second)
    assert "暂无数据" in unreported
    assert "<progress" not in unreported and "0%" not in unreported


def test_page_numbers_link_every_nearby_page(client, public_data, monkeypatch):
    monkeypatch.setattr(public, "COMMITMENTS_PER_PAGE", 2)
    public_data(7)  # 14 commitments: 7 pages
    page = body(client.get(URL, {"page": 4, "sort": "progress"}))
    nav = re.search(r'<nav class="pagination".*?</nav>', page, re.S).group(0)
    linked = [int(n) for n in re.findall(r"page=(\d+)\" aria-label", nav)]
    assert linked == [1, 2, 3, 5, 6, 7]
    assert re.search(r'aria-current="page"[^>]*>4<', nav)
    # The links keep the order chosen.
    assert "sort=progress&amp;page=5" in nav
    page = body(client.get(URL, {"page": 1}))
    nav = re.search(r'<nav class="pagination".*?</nav>', page, re.S).group(0)
    assert "…" in nav and "page=7" in nav


def _select(page: str, name: str) -> str:
    start = page.index(f'<select name="{name}"')
    return page[start : page.index("</select>", start)]


def test_department_filter_works_without_a_committee(client, public_data, monkeypatch, uncached):
    """With no committee chosen the list offers the departments with the most public
    commitments (a bounded number of them), and filtering by one needs no committee."""
    busy, quiet = factories.DepartmentFactory(name="甲局"), factories.DepartmentFactory(name="乙局")
    public_data(2, department=busy)  # 4 commitments, in a committee of their own
    public_data(1, department=quiet)  # 2, in another
    page = body(client.get(URL))
    departments = _select(page, "department")
    assert "甲局" in departments and "乙局" in departments
    assert "先选择委员会，再按会议筛选" in page
    filtered = body(client.get(URL, {"department": quiet.pk}))
    assert "共 2 项" in filtered
    monkeypatch.setattr(selectors, "LISTED_DEPARTMENTS", 1)
    departments = _select(body(client.get(URL)), "department")
    assert "甲局" in departments and "乙局" not in departments
