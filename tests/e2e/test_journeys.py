"""Each user's main journey in a real browser, at 1366 × 900 and on a 360 × 740 phone:
a citizen reading the seed's summary band and targets, the dashboard on a phone, a clerk
landing on the work queue and posting a note in two clicks, a member rating 不满意
through the confirmation step. axe-core finds nothing on each new page type; every page
is photographed to ``test-output/screenshots/`` (git-ignored)."""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from core import roles
from proposals.models import Clerk
from replies.models import CommitmentItem
from tests.conftest import make_user

pytestmark = pytest.mark.e2e

SCREENSHOTS = settings.BASE_DIR / "test-output" / "screenshots"
VIEWPORTS = ["desktop", "phone"]
SEED_TARGETS = [
    ("新增国家级科技企业孵化器", "3家"),
    ("新增省级科技企业孵化器", "20家"),
    ("全市孵化面积", "260万平方米以上"),
    ("建设众创空间", "30家以上"),
]
PASSWORD = "pw-123456"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


def assert_clean(page, name: str) -> None:
    """axe-core: zero violations; on a phone, nothing wider than the screen."""
    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    width = page.viewport_size["width"]
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter(el => !el.closest(".table-scroll, .visually-hidden, .skip-link"))
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(el => el.tagName + "." + el.className)"""
    )
    assert too_wide == [], f"{name}: {too_wide}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("portal:login"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_citizen_sees_the_summary_band_and_whole_targets(new_page, live_server, seed, viewport):
    """The band says how many commitments there are and, beside one stacked bar, how many
    are in each state; section 4's targets read as four whole phrases."""
    today = datetime.date.today()
    items = list(CommitmentItem.objects.filter(reply=seed.reply))
    overdue = sum(item.is_overdue(today) for item in items)
    page = new_page(viewport)
    page.goto(live_server.url + seed.proposal.get_absolute_url())
    band = page.locator(".summary-band")
    expect(band.get_by_role("heading", level=2)).to_have_text("共 5 项承诺")
    expect(band.locator("svg.stacked-bar rect")).not_to_have_count(0)
    expect(band.locator(".legend-overdue")).to_have_text(f"已逾期 {overdue}")
    legend = band.locator(".bar-legend li").all_inner_texts()
    assert sum(int(re.search(r"\d+", text).group()) for text in legend) == 5
    expect(band).to_contain_text("最近的未完成期限")
    expect(band).to_contain_text("最后更新")

    carriers = page.locator("li.commitment").filter(has_text="实施创新创业载体质量提升行动")
    rows = carriers.get_by_role("table", name="量化指标").locator("tbody tr")
    expect(rows).to_have_count(4)
    for index, (what, amount) in enumerate(SEED_TARGETS):
        expect(rows.nth(index).locator("th")).to_have_text(what)
        expect(rows.nth(index).locator("td").first).to_have_text(amount)
    expect(carriers.locator("progress")).to_have_count(0)
    expect(carriers).to_contain_text("暂无数据")
    third = page.locator("li.commitment").filter(has_text="实施创新型企业培育行动")
    expect(third).to_contain_text("本部分无新承诺")
    done = third.locator("details.done-work")
    expect(done.locator("ul")).to_be_hidden()
    done.locator("summary").click()
    expect(done.locator("ul")).to_be_visible()
    shoot(page, "proposal")
    assert_clean(page, f"proposal at {viewport}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_dashboard_is_legible(new_page, live_server, seed, viewport):
    """Chart labels of 12 px or more; tables scroll sideways inside their box; no header
    wraps one character per line; the page says how its rates are computed."""
    page = new_page(viewport)
    page.goto(live_server.url + reverse("portal:dashboard"))
    expect(page.locator(".definitions")).to_contain_text("按时办复率")
    expect(page.locator(".definitions")).to_contain_text("已答复的提案 ÷ 已交办的提案")
    # The seed's proposal is assigned and answered by a published letter.
    figures = page.locator("#totals-title + dl.figures")
    expect(figures).to_contain_text("交办提案")
    expect(figures.locator("div", has_text="办复率").first.locator("dd")).to_have_text("100.0%")
    sizes = page.locator(".bar-label").evaluate_all(
        "els => els.map(el => parseFloat(getComputedStyle(el).fontSize))"
    )
    assert sizes and min(sizes) >= 12, sizes
    tables = page.locator(".rate-table")
    expect(tables.first).to_be_visible()
    for table in tables.all():
        assert table.evaluate("el => el.closest('.table-scroll') !== null")
        heights = table.locator("thead th").evaluate_all(
            "els => els.map(el => el.getBoundingClientRect().height)"
        )
        line = table.locator("thead th").first.evaluate(
            "el => parseFloat(getComputedStyle(el).lineHeight) || 24"
        )
        assert max(heights) < 2 * line + 12, heights
        names = table.locator("tbody th").evaluate_all(
            "els => els.map(el => el.getBoundingClientRect().width)"
        )
        assert min(names) >= 100, names
    shoot(page, "dashboard")
    assert_clean(page, f"dashboard at {viewport}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_clerk_lands_on_the_queue_and_posts_a_note_in_two_clicks(
    new_page, live_server, seed, viewport
):
    """After login the clerk sees the department's open commitments, overdue first then by
    due date; 填报进展, a note, 保存: back on the queue with a success message."""
    roles.ensure_roles()
    clerk = make_user("clerk-e2e", roles.CLERK)
    Clerk.objects.create(user=clerk, department=seed.reply.department)
    page = new_page(viewport)
    log_in(page, live_server, "clerk-e2e")
    expect(page).to_have_url(re.compile(re.escape(reverse("portal:queue")) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"工作台：{seed.reply.department.name}"
    )
    rows = page.locator("tr.queue-item")
    today = datetime.date.today()
    expected = sorted(
        CommitmentItem.objects.filter(reply=seed.reply).exclude(status="fulfilled"),
        key=lambda item: (
            not item.is_overdue(today),
            item.due_on is None,
            item.due_on or today,
            item.pk,
        ),
    )
    expect(rows).to_have_count(len(expected))
    headings = rows.locator(".queue-heading").all_inner_texts()
    assert headings == [f"{item.marker}{item.heading}" for item in expected]
    overdue = [item for item in expected if item.is_overdue(today)]
    assert overdue, "the seed has overdue commitments"
    expect(rows.first.locator(".badge-overdue")).to_have_count(1)
    shoot(page, "queue")
    assert_clean(page, f"queue at {viewport}")

    first = expected[0]
    rows.first.get_by_role("link", name=re.compile("填报进展")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("填报进展")
    expect(page.get_by_label("状态")).to_have_value(first.status)
    page.get_by_label(re.compile("进展说明")).fill("已完成孵化器选址")
    shoot(page, "progress-form")
    assert_clean(page, f"progress form at {viewport}")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(reverse("portal:queue")) + "$"))
    expect(page.get_by_role("status")).to_contain_text(f"进展已保存：{first.heading}")
    shoot(page, "queue-saved")
    assert first.updates.filter(note="已完成孵化器选址").exists()

    other = CommitmentItem.objects.exclude(owner=seed.reply.department).first()
    if other is None:
        from tests import factories

        other = factories.CommitmentFactory()
    page.goto(live_server.url + reverse("portal:progress", args=[other.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("没有权限")
    expect(page.locator("main")).to_contain_text("不能填报其他单位的承诺")
    shoot(page, "403")
    assert_clean(page, f"403 at {viewport}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_member_rates_unsatisfied_through_the_confirmation_step(
    new_page, live_server, seed, viewport
):
    """不满意 asks once more, saying the proposal goes back for re-handling; confirmed,
    /me/ reads 退回重办."""
    roles.ensure_roles()
    member = make_user("member-e2e", roles.MEMBER, staff=False)
    proposer = seed.proposal.proposers.first()
    proposer.user = member
    proposer.save()
    page = new_page(viewport)
    log_in(page, live_server, "member-e2e")
    expect(page).to_have_url(re.compile(re.escape(reverse("portal:mine")) + "$"))
    shoot(page, "mine")
    assert_clean(page, f"/me/ at {viewport}")
    form = page.locator(f"#reply-{seed.reply.pk} form.rating-form")
    form.get_by_label("不满意").check()
    form.get_by_label("意见（可选）").fill("目标不够具体")
    form.get_by_role("button", name="提交评价").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("确认评价为“不满意”")
    expect(page.locator(".confirm-box")).to_contain_text(
        f"退回{seed.reply.department.name}重新办理"
    )
    shoot(page, "rate-confirm")
    assert_clean(page, f"confirmation at {viewport}")
    seed.reply.refresh_from_db()
    assert seed.reply.satisfaction == ""
    page.get_by_role("button", name="确认不满意，退回重办").click()

    expect(page).to_have_url(re.compile(re.escape(reverse("portal:mine")) + "$"))
    card = page.locator(".proposal-card").filter(has_text=seed.proposal.title)
    expect(card.locator(".meta").first).to_contain_text("退回重办")
    expect(card).to_contain_text(f"已退回{seed.reply.department.name}重新办理")
    shoot(page, "mine-rated")
