"""兑现率 on the dashboard, the department page and in the CSV: every number links to the
commitment list holding exactly its rows; per-department figures follow the office's
setting."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from core.versioning import set_office_settings
from replies import kept
from replies.services import deadlines, progress
from tests import factories
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

DUE = datetime.date(2022, 1, 1)


@pytest.fixture
def kept_world(world):
    """In the world's first department: one commitment of each class past its deadline,
    and one not yet due."""
    office = world["users"]["office"]
    department = world["own"]["department"]
    reply = world["own"]["reply"]

    # Numbers after the reply's own (the factories' sequence numbers the world's).
    after = max(reply.commitments.values_list("number", flat=True), default=0) - 110

    def item(number, *, updates=(), moved_to=None):
        commitment = factories.CommitmentFactory(
            reply=reply, owner=department, number=number + after, due_on=DUE
        )
        if moved_to:
            change = deadlines.request_change(
                commitment=commitment, new_due=moved_to, reason="测试：延期", actor=office
            )
            deadlines.approve_change(change=change, actor=office)
        for date, status in updates:
            progress.post_update(commitment=commitment, status=status, date=date)
        return commitment

    item(111, updates=[(datetime.date(2021, 12, 1), "fulfilled")])
    item(112, updates=[(datetime.date(2021, 12, 2), "fulfilled")])
    item(113, updates=[(datetime.date(2022, 3, 1), "fulfilled")])
    item(
        114, moved_to=datetime.date(2022, 6, 1), updates=[(datetime.date(2022, 5, 1), "fulfilled")]
    )
    item(115, updates=[(datetime.date(2022, 2, 1), "partial")])
    item(116)
    item(117, updates=[(datetime.date(2022, 2, 1), "not_fulfilled")])
    future = factories.CommitmentFactory(
        reply=reply, owner=department, number=118 + after, due_on=datetime.date(2100, 1, 1)
    )
    assert future.pk
    return world


def _links(html: str) -> list[tuple[str, str]]:
    """(href, text) of the links to the commitment list in the 兑现率 section."""
    section = html[html.index('id="kept"') : html.index("</section>", html.index('id="kept"'))]
    return [
        (unescape(href), text)
        for href, text in re.findall(r'<a href="(/commitments/\?[^"]+)"[^>]*>(\d+)</a>', section)
    ]


def test_dashboard_numbers_link_to_exactly_their_rows(client, kept_world):
    """Each number of the section opens the commitment list with as many rows as it says."""
    department = kept_world["own"]["department"]
    response = client.get(reverse("portal:dashboard"))
    rows = {row.key: row for row in response.context["kept_by_department"]}
    counts = rows[department.pk].counts
    assert counts == {
        kept.ON_TIME: 2,
        kept.EXTENDED: 1,
        kept.LATE: 1,
        kept.PARTIAL: 1,
        kept.OPEN: 1,
        kept.NOT_FULFILLED: 1,
    }
    # The world's own commitment has no deadline; the other department's neither.
    assert response.context["kept_total"].total == 7
    links = _links(response.content.decode())
    assert len(links) > 10
    for href, text in links:
        listed = client.get(href)
        assert listed.status_code == 200, href
        assert listed.context["page"].paginator.count == int(text), href
    assert "<svg" in response.content.decode()


def test_department_page_shows_its_figures_with_links(client, kept_world):
    department = kept_world["own"]["department"]
    response = client.get(reverse("portal:department", args=[department.pk]))
    assert response.context["kept_total"].total == 7
    links = _links(response.content.decode())
    assert links
    for href, text in links:
        assert f"department={department.pk}" in href
        assert client.get(href).context["page"].paginator.count == int(text), href


def test_kept_filter_rejects_a_bad_value_without_error(client, kept_world):
    response = client.get(reverse("portal:commitments"), {"kept": "always"})
    assert response.status_code == 200
    assert response.context["filter"].errors


def test_csv_lists_every_cell(client, kept_world):
    response = client.get(reverse("portal:dashboard-csv", args=["kept"]))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("委员会,年度,承办单位,期限已过,按期完成")
    department = kept_world["own"]["department"].name
    row = next(line for line in lines if department in line)
    assert row.endswith(",7,2,1,1,1,1,1,42.9")


@pytest.mark.parametrize("role", [None, "member"])
def test_setting_off_hides_department_figures_from_the_public(client, kept_world, settings, role):
    """With the office's setting off, visitors and members see totals only: no
    department rows, no department page figures, no department column in the CSV."""
    set_office_settings(department_figures_public=False)
    if role:
        client.force_login(kept_world["users"][role])
    department = kept_world["own"]["department"]
    response = client.get(reverse("portal:dashboard"))
    assert response.context["kept_by_department"] == []
    assert response.context["kept_total"].total == 7
    assert "按承办单位的兑现情况暂未公开" in response.content.decode()
    page = client.get(reverse("portal:department", args=[department.pk]))
    assert page.context["kept_hidden"] is True
    assert "按期完成" not in page.content.decode()
    chosen = client.get(reverse("portal:dashboard"), {"department": department.pk})
    assert chosen.context["kept_hidden"] is True
    csv = client.get(reverse("portal:dashboard-csv", args=["kept"]), {"department": department.pk})
    text = csv.content.decode("utf-8-sig")
    assert "承办单位" not in text.splitlines()[0] and department.name not in text


@pytest.mark.parametrize("role", ["office", "clerk"])
def test_setting_off_staff_still_see_department_figures(client, kept_world, settings, role):
    set_office_settings(department_figures_public=False)
    client.force_login(kept_world["users"][role])
    department = kept_world["own"]["department"]
    response = client.get(reverse("portal:dashboard"))
    assert department.pk in {row.key for row in response.context["kept_by_department"]}
    page = client.get(reverse("portal:department", args=[department.pk]))
    assert page.context["kept_total"].total == 7


@pytest.mark.parametrize("role", [None, "office"])
@pytest.mark.parametrize(
    "url", ["/dashboard/", "/dashboard/kept.csv", "/commitments/?kept=on_time", "department"]
)
def test_kept_pages_run_constant_queries(client, world, member_proposals, uncached, role, url):
    """Uncached, the pages showing 兑现率 run the same queries for 3 proposals and for
    12: the section adds one query (the grouped count, names included). At most 10, a
    logged-in user's session, user and groups included."""
    if role:
        client.force_login(world["users"][role])
    if url == "department":
        url = reverse("portal:department", args=[world["own"]["department"].pk])
    member_proposals(2)
    few = count_queries(client, url)
    member_proposals(9)
    assert count_queries(client, url) == few
    assert few <= 10
