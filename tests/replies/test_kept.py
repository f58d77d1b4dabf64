"""replies.kept: each public commitment past its deadline falls in exactly one class, and
the filter returns the rows the counts count."""

import datetime

import pytest

from replies import kept
from replies.models import CommitmentItem
from replies.services import deadlines, progress, publication
from tests import factories

pytestmark = pytest.mark.django_db

DUE = datetime.date(2022, 1, 1)
LATER = datetime.date(2022, 6, 1)


def _day(month: int, day: int = 1, year: int = 2022) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.fixture
def office(world):
    return world["users"]["office"]


@pytest.fixture
def make(office):
    """``make(due_on=…, updates=[(date, status), …], moved_to=…, status=…)``: a public
    commitment written through the services, in a reply of its own."""
    department = factories.DepartmentFactory(name="临沂市兑现测试局")

    def build(*, due_on=DUE, updates=(), moved_to=None, status="not_started", reply=None):
        reply = reply or factories.ReplyFactory(
            department=department, proposal__lead_department=department
        )
        item = factories.CommitmentFactory(
            reply=reply, owner=department, due_on=due_on, status=status
        )
        if moved_to is not None:
            change = deadlines.request_change(
                commitment=item, new_due=moved_to, reason="测试：施工受天气影响", actor=office
            )
            deadlines.approve_change(change=change, actor=office)
        for date, new_status in updates:
            progress.post_update(commitment=item, status=new_status, date=date)
        return CommitmentItem.objects.get(pk=item.pk)

    build.department = department
    return build


def _class_of(item: CommitmentItem) -> str | None:
    row = kept.with_kept_class(CommitmentItem.objects.filter(pk=item.pk)).first()
    return row.kept if row else None


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"updates": [(_day(12, 1, 2021), "fulfilled")]}, kept.ON_TIME),
        ({"updates": [(DUE, "fulfilled")]}, kept.ON_TIME),
        ({"updates": [(_day(2), "fulfilled")]}, kept.LATE),
        ({"moved_to": LATER, "updates": [(_day(5), "fulfilled")]}, kept.EXTENDED),
        # Done before the original date, but the date was moved: never plain on time.
        ({"moved_to": LATER, "updates": [(_day(11, 1, 2021), "fulfilled")]}, kept.EXTENDED),
        ({"moved_to": LATER, "updates": [(_day(7), "fulfilled")]}, kept.LATE),
        ({"updates": [(_day(2), "partial")]}, kept.PARTIAL),
        ({"updates": [(_day(2), "in_progress")]}, kept.OPEN),
        ({}, kept.OPEN),
        ({"moved_to": LATER}, kept.OPEN),
        ({"updates": [(_day(2), "not_fulfilled")]}, kept.NOT_FULFILLED),
        # Reopened after being marked done, then done again after the due date: late.
        (
            {
                "updates": [
                    (_day(11, 1, 2021), "fulfilled"),
                    (_day(12, 1, 2021), "in_progress"),
                    (_day(3), "fulfilled"),
                ]
            },
            kept.LATE,
        ),
        # A later 已完成 update adding evidence does not move the date it was done.
        ({"updates": [(_day(11, 1, 2021), "fulfilled"), (_day(3), "fulfilled")]}, kept.ON_TIME),
        # Reported done in the letter itself (dated 2021-07-09): done by the letter's date.
        ({"status": "fulfilled"}, kept.ON_TIME),
        ({"status": "fulfilled", "due_on": _day(6, 1, 2021)}, kept.LATE),
    ],
)
def test_each_case_has_one_class(make, case, expected):
    """On time, on time after an approved extension, late, partial, open, not fulfilled:
    as the module's docstring defines them."""
    assert _class_of(make(**case)) == expected


def test_only_public_commitments_past_their_deadline_count(make, office):
    """A deadline still ahead, no deadline, a draft and a withdrawn reply: not counted."""
    today = datetime.date.today()
    make(due_on=today + datetime.timedelta(days=30), updates=[(_day(1), "fulfilled")])
    make(due_on=None)
    make(reply=factories.ReplyFactory(published_at=None))
    withdrawn = make()
    publication.withdraw_reply(reply=withdrawn.reply, reason="测试：撤回", actor=office)
    counted = make(updates=[(_day(2), "fulfilled")])
    commitments = CommitmentItem.objects.public().filter(owner=make.department)
    summary = kept.kept_summary(commitments)
    assert summary["total"].total == 1
    assert summary["by_department"][make.department.pk].counts[kept.LATE] == 1
    assert list(kept.filter_kept(commitments, kept.LATE)) == [counted]


def _one_of_each_class(make) -> None:
    """On time, late, after an extension, partial, open, not fulfilled: one each."""
    make(updates=[(_day(12, 1, 2021), "fulfilled")])
    make(updates=[(_day(2), "fulfilled")])
    make(moved_to=LATER, updates=[(_day(5), "fulfilled")])
    make(updates=[(_day(2), "partial")])
    make()
    make(updates=[(_day(2), "not_fulfilled")])


def test_the_filter_returns_exactly_the_rows_counted(make):
    """For every class, the rows the filter returns are as many as the count says, and
    together they are every commitment past its deadline, each once."""
    _one_of_each_class(make)
    commitments = CommitmentItem.objects.public().filter(owner=make.department)
    counts = kept.kept_summary(commitments)["total"].counts
    seen = []
    for value in kept.KEPT_VALUES:
        rows = list(kept.filter_kept(commitments, value).values_list("pk", flat=True))
        assert len(rows) == counts[value] == 1, value
        seen += rows
    assert sorted(seen) == sorted(commitments.values_list("pk", flat=True))


def test_rate_counts_extended_as_kept(make):
    make(updates=[(_day(12, 1, 2021), "fulfilled")])
    make(moved_to=LATER, updates=[(_day(5), "fulfilled")])
    make()
    make(updates=[(_day(2), "fulfilled")])
    commitments = CommitmentItem.objects.public().filter(owner=make.department)
    assert kept.kept_summary(commitments)["total"].kept_rate == 50.0


def test_the_tallies_hold_the_figures_the_rows_give(make):
    """The pages read 兑现率 from the roll-ups: after every kind of write they equal the
    count from the rows, also on a day the nightly job has not reached yet (the reader's
    correction) and after it ran."""
    from replies import selectors
    from replies.services import rollups

    today = datetime.date.today()
    _one_of_each_class(make)
    soon = today + datetime.timedelta(days=5)
    make(due_on=soon, updates=[(today, "fulfilled")])
    make(due_on=soon)
    commitments = CommitmentItem.objects.public().filter(owner=make.department)

    def both(day):
        tallied = selectors.kept_figures(department=make.department, today=day)["total"]
        return tallied.counts, kept.kept_summary(commitments, day)["total"].counts

    tallied, counted = both(today)
    assert tallied == counted and sum(counted.values()) == 6
    later = soon + datetime.timedelta(days=1)
    tallied, counted = both(later)
    assert tallied == counted and sum(counted.values()) == 8
    assert counted[kept.ON_TIME] == 2 and counted[kept.OPEN] == 2
    rollups.advance(later)
    tallied, counted = both(later)
    assert tallied == counted
