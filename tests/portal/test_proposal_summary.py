"""The proposal page's summary band and what each commitment shows: its promises, the
work done (folded), its targets as whole phrases, a progress bar only where a value was
reported, and an approved deadline change with both dates."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from core import roles
from replies.models import CommitmentItem, CommitmentStatus
from replies.selectors import commitment_summary
from replies.services import deadlines, progress, publication
from tests import factories
from tests.conftest import make_user
from tests.helpers import body

pytestmark = pytest.mark.django_db

SEED_TARGETS = [
    ("新增国家级科技企业孵化器", "3家"),
    ("新增省级科技企业孵化器", "20家"),
    ("全市孵化面积", "260万平方米以上"),
    ("建设众创空间", "30家以上"),
]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _band(html: str) -> str:
    start = html.index('<section class="summary-band"')
    return html[start : html.index("</section>", start)]


def test_the_band_counts_the_seed_commitments_by_segment(client, seed):
    """The band states the number of commitments and, beside the bar, each segment's
    count; the counts add up to the total, overdue counted apart from its status."""
    today = datetime.date.today()
    items = list(CommitmentItem.objects.filter(reply=seed.reply))
    overdue = sum(item.is_overdue(today) for item in items)
    fulfilled = sum(item.status == CommitmentStatus.FULFILLED for item in items)
    band = _text(_band(body(client.get(seed.proposal.get_absolute_url()))))
    assert f"共 {len(items)} 项承诺" in band
    assert f"已逾期 {overdue}" in band
    assert f"已完成 {fulfilled}" in band
    counts = [int(n) for n in re.findall(r"(?:已完成|进行中|未开始|未完成|已逾期) (\d+)", band)]
    assert sum(counts) == len(items) == 5
    assert "最近的未完成期限" in band and "最后更新" in band


def test_summary_segments_fill_the_bar_and_skip_nothing():
    """Widths add up to the whole bar; each commitment is in one segment only."""
    reply = factories.ReplyFactory()
    statuses = ["fulfilled", "in_progress", "partial", "not_started", "not_started"]
    for number, status in enumerate(statuses, start=1):
        factories.CommitmentFactory(
            reply=reply, number=number, status=status, due_on=datetime.date(2099, 1, 1)
        )
    factories.CommitmentFactory(
        reply=reply, number=9, status="in_progress", due_on=datetime.date(2000, 1, 1)
    )
    summary = commitment_summary([reply], today=datetime.date(2030, 1, 1))
    assert summary["total"] == 6
    assert summary["counts"] == {
        "fulfilled": 1,
        "in_progress": 2,
        "not_started": 2,
        "not_fulfilled": 0,
        "overdue": 1,
    }
    assert sum(s["width"] for s in summary["segments"] if s["count"]) == 1000
    assert summary["next_due"] == datetime.date(2000, 1, 1)
    assert summary["next_due_passed"] is True


def test_seed_targets_read_as_whole_phrases(client, seed):
    """The four targets of section 4, each a phrase and an amount as people write them."""
    html = body(client.get(seed.proposal.get_absolute_url()))
    cells = re.findall(
        r'<th scope="row" class="target-what">([^<]*)</th>\s*'
        r'<td class="target-amount">([^<]*)</td>',
        html,
    )
    assert cells == SEED_TARGETS
    assert "省级20家" not in _text(html.split("<details", 1)[0])
    assert "E+" not in html


def test_no_progress_bar_without_a_reported_value(client, seed):
    """Without an achieved value the target says 暂无数据 (no bar, no 0%); a reported
    value gets a bar with its share."""
    item = CommitmentItem.objects.get(reply=seed.reply, number=4)
    html = body(client.get(seed.proposal.get_absolute_url()))
    assert "<progress" not in html
    assert html.count("暂无数据") == 4
    target = item.targets.order_by("pk")[1]
    progress.record_progress(
        commitment=item,
        expected_version=item.version,
        status=CommitmentStatus.IN_PROGRESS,
        date=datetime.date(2021, 10, 1),
        note="已新增省级孵化器5家",
        evidence_url="",
        attachment=None,
        achieved={target.pk: Decimal(5)},
        author=None,
    )
    html = body(client.get(seed.proposal.get_absolute_url()))
    assert html.count("<progress") == 1
    assert 'value="25"' in html and "5家" in html
    assert html.count("暂无数据") == 3
    assert "已新增省级孵化器5家" in html  # the update timeline


def test_promises_and_done_work(client, seed):
    """Each section lists its promises; one without any says so; done work is folded."""
    html = body(client.get(seed.proposal.get_absolute_url()))
    assert "本部分无新承诺" in html
    assert html.count("本部分无新承诺") == 1
    assert '<details class="done-work">' in html
    assert "已做工作" in html
    assert "力争新增国家级科技企业孵化器3家、省级20家" in html


def test_an_approved_deadline_change_shows_both_dates(client, seed):
    office = make_user("office-summary", roles.OFFICE)
    assert Group.objects.filter(name=roles.OFFICE).exists()
    item = CommitmentItem.objects.get(reply=seed.reply, number=4)
    original = item.due_on
    change = deadlines.request_change(
        commitment=item, new_due=datetime.date(2026, 6, 30), reason="载体建设延后", actor=office
    )
    deadlines.approve_change(change=change, actor=office)
    text = _text(body(client.get(seed.proposal.get_absolute_url()))).replace(" ", "")
    assert f"完成期限2026年6月30日原承诺期限：{original:%Y年%-m月%-d日}" in text
    assert "变更为2026年6月30日（批准：提案委" in text
    assert "载体建设延后" in text


def test_statements_with_personal_data_stay_off_the_page(client):
    """A promise whose original wording holds personal data is not shown from the
    parser's copy; the masked section text is."""
    reply = factories.ReplyFactory(published_at=None)
    phone = "13912345678"
    sentence = f"下一步，请联系王小明（电话{phone}）推进此事。"
    item = factories.CommitmentFactory(
        reply=reply,
        text=sentence,
        promises=[{"text": sentence, "deadline": None, "firm": True, "targets": []}],
        statements=[{"text": "已完成调研。", "modality": "done", "deadline": None}],
    )
    publication.publish_reply(reply=reply)
    item.refresh_from_db()
    assert phone not in item.public_text
    html = body(client.get(reply.proposal.get_absolute_url()))
    assert phone not in html
    assert "部分语句含个人信息" in html
