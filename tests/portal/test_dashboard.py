"""portal.views.dashboard: the oversight dashboard and its CSV downloads."""

import pytest
from django.urls import reverse

from replies import selectors
from replies.services import publication
from tests import factories
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


def test_dashboard_hides_drafts_from_everyone(client, world):
    """The dashboard counts published replies only, for every role: draft figures are the
    office's, in the admin. The withdrawn reply's proposal stays assigned (办复率 counts
    it), answered by nothing public."""
    publication.withdraw_reply(reply=world["other"]["reply"], reason="测试：撤回", actor=None)
    for role in (None, "office", "clerk", "member"):
        if role:
            client.force_login(world["users"][role])
        response = client.get(reverse("portal:dashboard"))
        rows = {row["key"]: row for row in response.context["by_department"]}
        row = rows[world["other"]["department"].pk]
        assert (row["replies"], row["commitments"], row["replied"]) == (0, 0, 0), role
        assert row["assigned"] == 1 and row["reply_rate"] == 0.0, role


def test_dashboard_groups_by_committee_then_by_session(client, world):
    own = world["own"]["proposal"]
    other = world["other"]["proposal"]
    response = client.get(reverse("portal:dashboard"))
    assert response.context["group"] == "committee"
    keys = {row["key"] for row in response.context["by_group"]}
    assert keys == {own.session.committee_id, other.session.committee_id}
    response = client.get(reverse("portal:dashboard"), {"committee": own.session.committee_id})
    assert response.context["group"] == "session"
    assert {row["key"] for row in response.context["by_group"]} == {own.session_id}
    # Only the chosen committee's sessions are offered.
    assert set(response.context["sessions"]) == set(own.session.committee.sessions.all())
    # A session of another committee does not widen or confuse the scope.
    response = client.get(
        reverse("portal:dashboard"),
        {"committee": own.session.committee_id, "session": other.session_id},
    )
    assert response.context["session"] is None
    assert {row["key"] for row in response.context["by_group"]} == {own.session_id}


def test_dashboard_shows_the_busiest_departments_and_the_csv_all(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "TOP_DEPARTMENTS", 1)
    extra = factories.CommitmentFactory(
        reply=world["own"]["reply"], owner=world["own"]["department"], number=7
    )
    assert extra.pk
    response = client.get(reverse("portal:dashboard"))
    assert [row["key"] for row in response.context["by_department"]] == [
        world["own"]["department"].pk
    ]
    assert response.context["department_count"] == 2
    assert "显示承诺最多的 1 个承办单位（共 2 个）" in response.content.decode()
    # The department choice lists only what the table shows (bounded), plus a chosen one.
    assert [d.pk for d in response.context["departments"]] == [world["own"]["department"].pk]
    csv = client.get(reverse("portal:dashboard-csv", args=["departments"])).content.decode()
    assert "临沂市科学技术局" in csv and "临沂市教育局" in csv


def test_dashboard_shows_the_busiest_committees_totals_of_all_and_the_csv_all(
    client, world, monkeypatch
):
    """Hundreds of committees: the page tables those with the most commitments; the
    totals still count every committee, and the CSV lists every one."""
    monkeypatch.setattr(selectors, "TOP_COMMITTEES", 1)
    own, other = world["own"], world["other"]
    factories.CommitmentFactory(reply=own["reply"], owner=own["department"], number=7)
    response = client.get(reverse("portal:dashboard"))
    busiest = own["proposal"].session.committee
    assert [row["key"] for row in response.context["by_group"]] == [busiest.pk]
    assert response.context["group_count"] == 2
    assert response.context["totals"]["commitments"] == 3
    assert "显示承诺最多的 1 个委员会（共 2 个）" in response.content.decode()
    csv = client.get(reverse("portal:dashboard-csv", args=["sessions"])).content.decode()
    assert busiest.name in csv and other["proposal"].session.committee.name in csv


@pytest.mark.parametrize("role", ["member", "office"])
@pytest.mark.parametrize(
    "url", ["/dashboard/", "/dashboard/sessions.csv", "/dashboard/overdue.csv"]
)
def test_dashboard_runs_constant_queries(client, world, member_proposals, uncached, role, url):
    """Uncached (roll-ups included), the dashboard and its CSVs run the same queries for 3
    proposals and for 12, each in a committee, session and department of its own."""
    client.force_login(world["users"][role])
    member_proposals(2)
    few = count_queries(client, url)
    member_proposals(9)
    assert count_queries(client, url) == few


def test_dashboard_states_its_rates_and_scales_its_bars(client, world):
    """The page says how 按时办复率 and 办复率 are computed; chart labels are page text (not
    SVG text scaled down on a phone); each bar is as long as its number of commitments."""
    extra = factories.CommitmentFactory(reply=world["own"]["reply"], number=2)
    assert extra.reply.is_published
    response = client.get(reverse("portal:dashboard"))
    html = response.content.decode()
    assert "按时办复率" in html and "答复日期不晚于答复期限（含经批准的延期）" in html
    assert "已答复的提案 ÷ 已交办的提案" in html
    assert "<text" not in html
    assert 'class="bar-label"' in html
    rows = {row["label"]: row for row in response.context["by_department"]}
    own = rows[world["own"]["department"].name]
    other = rows[world["other"]["department"].name]
    assert own["commitments"] == 2 and other["commitments"] == 1
    assert sum(s["width"] for s in own["status_bars"]) == pytest.approx(1000)
    assert sum(s["width"] for s in other["status_bars"]) == pytest.approx(500)


def test_dashboard_committee_filter_takes_the_commitment_lists_value(client, world):
    """The committee is chosen by its slug, as on /commitments/ (so a link carried over from
    there works), or by its id as older links have it; the form offers the slug; a value
    naming no committee is no filter."""
    own = world["own"]["proposal"]
    committee = own.session.committee
    url = reverse("portal:dashboard")
    for value in (committee.slug, str(committee.pk)):
        response = client.get(url, {"committee": value})
        assert response.status_code == 200
        assert response.context["committee"] == committee, value
        assert {row["key"] for row in response.context["by_group"]} == {own.session_id}
    html = response.content.decode()
    assert f'<option value="{committee.slug}" selected>' in html
    listed = client.get(reverse("portal:commitments"), {"committee": committee.slug})
    assert listed.status_code == 200
    for value in ("没有这个委员会", "9" * 30):
        response = client.get(url, {"committee": value})
        assert response.status_code == 200
        assert response.context["committee"] is None
        assert response.context["group"] == "committee"
