"""portal.views.public: the home, proposal, commitment-list and department pages, the
proposal's JSON and robots.txt; conditional GETs and fixed query counts."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from replies.models import CommitmentItem, CommitmentStatus
from tests import factories
from tests.helpers import body

pytestmark = pytest.mark.django_db

PAGES = {
    "home": lambda data: reverse("portal:home"),
    "detail": lambda data: data["proposal"].get_absolute_url(),
    "detail-json": lambda data: data["proposal"].get_absolute_url() + "data.json",
    "commitments": lambda data: reverse("portal:commitments") + "?status=in_progress",
    "commitments-committee": lambda data: (
        reverse("portal:commitments")
        + f"?committee={data['session'].committee.slug}&session={data['session'].pk}"
    ),
    "commitments-sorted": lambda data: reverse("portal:commitments") + "?sort=progress&page=1",
    "commitments-department": lambda data: (
        reverse("portal:commitments")
        + f"?department={data['proposal'].lead_department_id}&sort=updated"
    ),
    "department": lambda data: data["proposal"].lead_department.get_absolute_url(),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_query_count_is_constant(page_queries, name):
    """Every page runs the same few queries, uncached, whatever the data size: at most ten
    (the JSON, which is never cached, twelve)."""
    few, many = page_queries(PAGES[name])
    assert many == few
    assert many <= 10, name


def test_proposal_page_shows_the_seed_letter(client, seed):
    detail = body(client.get(seed.proposal.get_absolute_url()))
    assert detail.count('class="commitment"') == 5
    assert "关于“实施创新创业载体质量提升行动”" in detail
    assert "新增国家级科技企业孵化器3家" in detail
    assert "260万平方米" in detail
    assert "2025年12月31日" in detail
    assert "王坤" in detail


def test_proposal_json_matches_page(client, seed):
    data = json.loads(body(client.get(seed.proposal.get_absolute_url() + "data.json")))
    assert data["number"] == "89"
    assert data["session"] == "十五届五次会议"
    assert data["proposers"] == ["王坤"]
    commitments = data["replies"][0]["commitments"]
    assert len(commitments) == 5
    assert data["url"].endswith(seed.proposal.get_absolute_url())
    assert {t["quantity"] for t in commitments[3]["targets"]} >= {3, 20, 260}


def test_conditional_get_answers_304(client, seed):
    url = seed.proposal.get_absolute_url()
    first = client.get(url)
    assert "Last-Modified" in first
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304


def test_robots_points_at_sitemap(client):
    assert "Sitemap: http://testserver/sitemap.xml" in body(client.get("/robots.txt"))


def _figures(page: str) -> dict[str, str]:
    """The summary's figures, label → number as shown."""
    block = page[page.index('<dl class="figures">') : page.index("</dl>")]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block)
    return {label: re.sub(r"<[^>]+>", "", value).strip() for label, value in pairs}


def test_department_page_summarises_status(client):
    """The department's public commitments counted by status, overdue derived (past due,
    not fulfilled); another department's and a draft's are not counted; the overdue are
    listed, and the published replies."""
    department = factories.DepartmentFactory(name="临沂市水利局")
    past, future = datetime.date(2021, 1, 31), timezone.localdate() + datetime.timedelta(days=90)
    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="关于整治河道的建议", lead_department=department)
    )
    # Every figure different, so that no two can be swapped unseen: 4 fulfilled (one past
    # due), 3 in progress and 2 not started (all past due: overdue), 1 partial, 0 not
    # fulfilled; 10 in all, 5 overdue.
    rows = [
        *[(CommitmentStatus.FULFILLED, past if n == 0 else future) for n in range(4)],
        *[(CommitmentStatus.IN_PROGRESS, past)] * 3,
        *[(CommitmentStatus.NOT_STARTED, past)] * 2,
        (CommitmentStatus.PARTIAL, None),
    ]
    for number, (status, due) in enumerate(rows, start=1):
        factories.CommitmentFactory(
            reply=reply, number=number, status=status, due_on=due, heading=f"关于第{number}项"
        )
    draft = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="草稿中的提案", lead_department=department),
        published_at=None,
    )
    factories.CommitmentFactory(reply=draft, status=CommitmentStatus.IN_PROGRESS, due_on=past)
    factories.CommitmentFactory(status=CommitmentStatus.FULFILLED)  # another department's

    html = body(client.get(department.get_absolute_url()))
    assert _figures(html) == {
        "全部承诺": "10",
        "已完成": "4",
        "进行中": "3",
        "未开始": "2",
        "部分完成": "1",
        "未完成": "0",
        "已逾期": "5",
    }
    overdue = html[html.index('id="overdue-title"') : html.index('id="replies-title"')]
    listed = {number for number in range(1, 11) if f"关于第{number}项<" in overdue}
    assert listed == {5, 6, 7, 8, 9}
    assert "关于整治河道的建议" in html and "草稿中的提案" not in html


def _select(page: str, name: str) -> str:
    start = page.index(f'<select name="{name}"')
    return page[start : page.index("</select>", start)]


def test_commitment_choices_are_the_chosen_committees(client, public_data):
    """Sessions and departments number thousands in a province: the list page offers
    those of the chosen committee only (and keeps a choice made by URL)."""
    first, second = factories.CommitteeFactory(name="甲市政协"), factories.CommitteeFactory()
    public_data(1, committee=first)
    public_data(1, committee=second)
    first_item = CommitmentItem.objects.filter(reply__proposal__session__committee=first)[0]
    second_item = CommitmentItem.objects.filter(reply__proposal__session__committee=second)[0]
    url = reverse("portal:commitments")
    page = body(client.get(url))
    assert "<option" not in _select(page, "session").replace('<option value="">', "")
    assert "先选择委员会" in page
    page = body(client.get(url, {"committee": first.slug}))
    sessions = _select(page, "session")
    assert str(first_item.reply.proposal.session) in sessions
    assert f'value="{second_item.reply.proposal.session_id}"' not in sessions
    departments = _select(page, "department")
    assert first_item.owner.name in departments
    assert second_item.owner.name not in departments
    assert f"#commitment-{first_item.pk}" in page
    assert f"#commitment-{second_item.pk}" not in page
    # A department chosen by URL stays shown and selected, whatever the committee.
    page = body(client.get(url, {"department": second_item.owner_id}))
    assert f'value="{second_item.owner_id}" selected' in _select(page, "department")


def test_proposal_page_breadcrumbs_start_at_home_and_offer_printing(client, seed):
    html = body(client.get(seed.proposal.get_absolute_url()))
    crumbs = re.search(r'<nav class="breadcrumbs"[^>]*>(.*?)</nav>', html, re.S).group(1)
    first = re.search(r'<a href="([^"]+)">([^<]+)</a>', crumbs)
    assert first.groups() == (reverse("portal:home"), "首页")
    # The button is unhidden by a static script (the CSP allows no inline code); the print
    # stylesheet hides it again on paper.
    assert re.search(r'<button type="button" class="print-button" data-print hidden>', html)
    assert re.search(r'<script src="[^"]*js/print\.js" defer></script>', html)


def test_every_page_links_the_favicon(client, settings):
    from django.contrib.staticfiles import finders

    html = body(client.get(reverse("portal:home")))
    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg" type="image/svg\+xml">', html)
    assert finders.find("favicon.svg")
    assert finders.find("js/print.js")


def test_proposal_page_shares_a_readable_link(client, seed, settings):
    """The page names its canonical address (percent-encoded, as HTML wants it) and shows
    it for sharing as people read it: Chinese as written, not %E4%B8%B4…"""
    settings.SITE_URL = "https://tian.example.cn/"
    path = seed.proposal.get_absolute_url()
    assert "%E4" in path  # 临沂市政协 in the committee's slug, encoded by reverse()
    html = body(client.get(path))
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)
    assert canonical == "https://tian.example.cn" + path
    share = re.search(r'<p class="share">.*?<a href="([^"]+)">([^<]+)</a>', html, re.S)
    assert share.group(1) == canonical
    readable = share.group(2)
    assert readable.startswith("https://tian.example.cn/p/" + seed.proposal.session.committee.slug)
    assert "%" not in readable
    assert f'data-copy="{readable}"' in html
