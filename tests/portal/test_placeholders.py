"""Names the letter import makes up (未注明地区政协, 未注明承办单位) are placeholders, not
facts: public pages show them as 未注明 in muted text, and no filter offers them."""

import re

import pytest
from django.urls import reverse

from proposals.models import UNNAMED_DEPARTMENT, UNNAMED_REGION
from tests import factories
from tests.helpers import add_public_data, body


@pytest.fixture
def placeholders(db, uncached):
    """A published reply under 未注明地区政协 answered by 未注明承办单位, beside one under a
    named committee and department."""
    unnamed_committee = factories.CommitteeFactory(
        name=f"{UNNAMED_REGION}政协", slug="未注明地区政协"
    )
    unnamed_department = factories.DepartmentFactory(name=UNNAMED_DEPARTMENT)
    named_committee = factories.CommitteeFactory(name="临沂市政协", slug="临沂市政协")
    named_department = factories.DepartmentFactory(name="临沂市科学技术局")
    add_public_data(1, committee=unnamed_committee, department=unnamed_department)
    add_public_data(1, committee=named_committee, department=named_department)
    return {
        "committee": unnamed_committee,
        "department": unnamed_department,
        "proposal": unnamed_committee.sessions.get().proposals.get(),
    }


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_proposal_page_shows_placeholders_as_unstated(client, placeholders):
    html = body(client.get(placeholders["proposal"].get_absolute_url()))
    assert '<span class="unstated">未注明</span>' in html
    assert UNNAMED_DEPARTMENT not in html
    main = html.split("<main", 1)[1]
    # The page's own address (the share link at the top, the permanent link at the foot)
    # holds the committee's slug, as the browser's address bar does: an address, not a
    # name the page states.
    main = re.sub(r'<p class="(share|permalink)">.*?</p>', "", main, flags=re.S)
    assert f"{UNNAMED_REGION}政协" not in main


@pytest.mark.parametrize("url", ["portal:home", "portal:search", "portal:commitments"])
def test_list_pages_show_placeholders_as_unstated(client, placeholders, url):
    html = body(client.get(reverse(url)))
    assert '<span class="unstated">未注明</span>' in html
    assert UNNAMED_DEPARTMENT not in html


def test_search_facets_leave_placeholders_out(client, placeholders):
    html = body(client.get(reverse("portal:search")))
    committees = " ".join(_options(html, "committee"))
    departments = " ".join(_options(html, "department"))
    assert "临沂市政协" in committees and UNNAMED_REGION not in committees
    assert "临沂市科学技术局" in departments and UNNAMED_DEPARTMENT not in departments


def test_the_commitment_list_offers_no_placeholder_department(client, placeholders):
    url = reverse("portal:commitments") + f"?committee={placeholders['committee'].slug}"
    departments = " ".join(_options(body(client.get(url)), "department"))
    assert UNNAMED_DEPARTMENT not in departments


def test_the_dashboard_offers_no_placeholder(client, placeholders):
    html = body(client.get(reverse("portal:dashboard")))
    committees = " ".join(_options(html, "committee"))
    departments = " ".join(_options(html, "department"))
    assert "临沂市政协" in committees and UNNAMED_REGION not in committees
    assert "临沂市科学技术局" in departments and UNNAMED_DEPARTMENT not in departments


def test_search_session_facet_names_a_made_up_committees_session_readably(client, placeholders):
    """The session facet labels a session of 未注明地区政协 by its own label with the region
    said to be unstated, never by the placeholder's name."""
    html = body(client.get(reverse("portal:search")))
    sessions = _options(html, "session")
    session = placeholders["committee"].sessions.get()
    assert f"{session.label}（地区未注明）" in " ".join(sessions)
    assert not any(UNNAMED_REGION in label for label in sessions)
    assert any(label.startswith("临沂市政协") for label in sessions)


def test_the_commitment_list_without_a_committee_offers_no_placeholder(client, placeholders):
    departments = " ".join(_options(body(client.get(reverse("portal:commitments"))), "department"))
    assert "临沂市科学技术局" in departments and UNNAMED_DEPARTMENT not in departments
