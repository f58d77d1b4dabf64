"""The public pages in a real browser: a citizen's journey, filters, the CSV download, and
axe-core on every public page type, at desktop width and on a 360 px phone."""

import csv
import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from replies.services import publication
from tests import factories

pytestmark = pytest.mark.e2e

STATUS_WORDS = re.compile(r"状态：\s*(未开始|进行中|已完成|部分完成|未完成)")

# Every public page type, with the HTTP status it answers; the URLs need the seed's objects.
PAGE_TYPES = {
    "home": (lambda seed: reverse("portal:home"), 200),
    "search": (lambda seed: reverse("portal:search"), 200),
    "search-query": (lambda seed: reverse("portal:search") + "?q=孵化器", 200),
    "search-filtered": (
        lambda seed: reverse("portal:search") + "?q=孵化器&status=not_started&sort=newest",
        200,
    ),
    "search-empty": (lambda seed: reverse("portal:search") + "?q=火星基地", 200),
    "search-empty-filtered": (
        lambda seed: reverse("portal:search") + "?q=孵化器&classification=A&kind=congress",
        200,
    ),
    "proposal": (lambda seed: seed.proposal.get_absolute_url(), 200),
    "commitments": (lambda seed: reverse("portal:commitments"), 200),
    "commitments-filtered": (
        lambda seed: reverse("portal:commitments") + "?status=overdue&due_after=2021-01-01",
        200,
    ),
    "commitments-empty": (lambda seed: reverse("portal:commitments") + "?status=fulfilled", 200),
    "department": (lambda seed: seed.reply.department.get_absolute_url(), 200),
    "dashboard": (lambda seed: reverse("portal:dashboard"), 200),
    "dashboard-filtered": (
        lambda seed: reverse("portal:dashboard") + f"?department={seed.reply.department_id}",
        200,
    ),
    "member-login": (lambda seed: reverse("portal:login"), 200),
    "404": (lambda seed: "/p/no-such-committee/no-session/0/", 404),
}


def open_url(page, live_server, path: str, status: int = 200):
    response = page.goto(live_server.url + path)
    assert response.status == status, path
    return response


def axe_report(page) -> tuple[int, str]:
    # axe-core's default rule set: WCAG 2.0/2.1 A and AA plus its best practices.
    results = Axe().run(page)
    return results.violations_count, results.generate_report()


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_type_has_no_axe_violations(new_page, live_server, seed, name):
    """Each public page type passes axe-core with zero violations, wide and on a phone."""
    url, status = PAGE_TYPES[name]
    page = new_page("desktop")
    open_url(page, live_server, url(seed), status)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    for role in ("banner", "main", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    count, report = axe_report(page)
    assert count == 0, f"{name} at desktop width:\n{report}"
    page.set_viewport_size({"width": 360, "height": 740})
    count, report = axe_report(page)
    assert count == 0, f"{name} at 360 px:\n{report}"


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_type_fits_a_360px_phone_without_javascript(
    new_page, live_server, seed, name, tmp_path
):
    """Nothing scrolls sideways on a 360 px phone, except tables inside their scroll box."""
    url, status = PAGE_TYPES[name]
    page = new_page("phone", javascript=False)
    open_url(page, live_server, url(seed), status)
    page.screenshot(path=tmp_path / f"{name}-360.png", full_page=True)
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter(el => !el.closest(".table-scroll, .visually-hidden, .skip-link"))
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(el => el.tagName + "." + el.className)"""
    )
    assert too_wide == [], f"{name}: {too_wide} (screenshot in {tmp_path})"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, name


def test_citizen_finds_the_seed_reply_and_reads_its_commitments(new_page, live_server, seed):
    """From the home page, without JavaScript: search 孵化器, open the reply, read five
    commitments with their status in words and the targets with their due date."""
    page = new_page("desktop", javascript=False)
    open_url(page, live_server, reverse("portal:home"))
    page.get_by_label("搜索提案与答复").fill("孵化器")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/proposals/\?q=%E5%AD%B5%E5%8C%96%E5%99%A8"))
    expect(page.get_by_role("heading", level=2)).to_contain_text("找到 1 件与“孵化器”有关的提案")
    expect(page.locator(".snippet mark").first).to_have_text("孵化器")

    page.get_by_role("link", name=seed.proposal.title, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(seed.proposal.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(seed.proposal.title)
    commitments = page.locator("li.commitment")
    expect(commitments).to_have_count(5)
    for index in range(5):
        expect(commitments.nth(index).locator(".status")).to_have_text(STATUS_WORDS)
    for badge in page.locator(".badge").all():
        assert badge.inner_text().strip(), "a status badge without words"

    carriers = commitments.filter(has_text="实施创新创业载体质量提升行动")
    expect(carriers.locator(".status")).to_contain_text("未开始")
    expect(carriers.locator(".status")).to_contain_text("已逾期")
    expect(carriers).to_contain_text("2025年12月31日")
    targets = carriers.get_by_role("table", name="量化指标")
    expect(targets.locator("tbody tr")).to_have_count(4)
    first = targets.locator("tbody tr").first
    expect(first.locator("th")).to_have_text("新增国家级科技企业孵化器")
    expect(first.locator("td").first).to_have_text("3家")
    expect(targets).to_contain_text("260万平方米以上")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_apply_and_remove_a_filter(new_page, live_server, seed, viewport):
    """A filter narrows the results and says so in words; 清除全部筛选 brings all back.
    On a phone the filters are folded under 筛选与排序 and open without JavaScript."""
    other = factories.ReplyFactory(classification="C")
    publication.publish_reply(reply=other)
    page = new_page(viewport, javascript=False)
    open_url(page, live_server, reverse("portal:search"))
    results = page.locator(".results")
    expect(results).to_contain_text("共 2 件提案")
    status = page.get_by_label("承诺状态")
    if viewport == "phone":
        expect(status).to_be_hidden()
        page.get_by_text("筛选与排序").click()
    status.select_option("not_started")
    page.get_by_role("button", name="搜索").click()

    expect(page).to_have_url(re.compile(r"status=not_started"))
    expect(results).to_contain_text("共 1 件提案")
    expect(page.get_by_role("list", name="已选筛选条件")).to_have_text("承诺状态：未开始")
    expect(results.get_by_role("link", name=seed.proposal.title, exact=True)).to_be_visible()
    expect(results.get_by_role("link", name=other.proposal.title, exact=True)).to_have_count(0)
    expect(page.get_by_label("承诺状态")).to_be_visible()

    page.get_by_role("link", name="清除全部筛选").click()
    expect(page).not_to_have_url(re.compile(r"status="))
    expect(results).to_contain_text("共 2 件提案")
    expect(page.get_by_role("list", name="已选筛选条件")).to_have_count(0)
    expect(results.get_by_role("link", name=other.proposal.title, exact=True)).to_be_visible()


def test_a_filter_that_matches_nothing_is_named_in_words(new_page, live_server, seed):
    """A value that matches nothing (from a shared link, say) stays selected and readable,
    not shown as its code."""
    page = new_page("desktop", javascript=False)
    open_url(page, live_server, reverse("portal:search") + "?q=孵化器&classification=A")
    expect(page.locator(".empty")).to_contain_text("没有找到符合条件的提案")
    expect(page.get_by_role("list", name="已选筛选条件")).to_have_text(
        "办理结果：A类（已解决或采纳）"
    )
    expect(page.get_by_label("办理结果").locator("option:checked")).to_have_text(
        "A类（已解决或采纳）（0）"
    )
    page.get_by_role("link", name="去掉筛选条件再试一次").click()
    expect(page.locator(".results")).to_contain_text("找到 1 件与“孵化器”有关的提案")


def test_download_the_filtered_commitments_as_csv(new_page, live_server, seed, tmp_path):
    """The CSV link downloads exactly the commitments the page shows, readable as UTF-8."""
    page = new_page("desktop", javascript=False)
    open_url(page, live_server, reverse("portal:commitments"))
    page.get_by_label("状态", exact=True).select_option("not_started")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("共 1 项")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "commitments.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["状态"] == "未开始"
    assert "实施创新创业载体质量提升行动" in rows[0]["小标题"]
    assert rows[0]["网址"].startswith(live_server.url)


def test_keyboard_focus_is_always_visible(new_page, live_server, seed):
    """The skip link comes first and leads into the content; every stop shows a focus ring."""
    page = new_page("desktop")
    open_url(page, live_server, reverse("portal:home"))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("搜索提案与答复")).to_be_focused()

    open_url(page, live_server, seed.proposal.get_absolute_url())
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        name, outline, width = page.evaluate(
            """() => {
                const el = document.activeElement, style = getComputedStyle(el);
                return [el.tagName + ":" + el.textContent.trim().slice(0, 20),
                        style.outlineStyle, parseFloat(style.outlineWidth)];
            }"""
        )
        if name.startswith("BODY"):
            break
        seen.add(name)
        assert outline != "none" and width >= 2, f"no visible focus on {name}"
    assert len(seen) > 10


def test_print_layout_shows_the_letter_without_the_controls(new_page, live_server, seed):
    """Printed, a proposal page drops navigation and unfolds the whole reply letter."""
    page = new_page("desktop", javascript=False)
    open_url(page, live_server, seed.proposal.get_absolute_url())
    letter = page.locator(".letter-full .letter")
    expect(letter).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()
    expect(page.get_by_role("contentinfo")).to_be_hidden()
    expect(letter).to_be_visible()
    expect(letter).to_contain_text("鼓励和引导商业银行与股权投资机构合作")
    expect(page.locator(".commitment").first).to_be_visible()
    assert page.pdf(format="A4")[:4] == b"%PDF"
