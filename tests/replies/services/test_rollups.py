"""The roll-ups (``replies.services.rollups``): after every service that changes public
data, the tallies equal a recount from the base tables; the overdue day moves on; the
list's counts equal a count of the filtered rows."""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.db import connection
from django.utils import timezone

from core import roles
from portal.filters import CommitmentFilter
from proposals import services as proposal_services
from proposals.models import Proposal
from replies import selectors
from replies.models import CommitmentItem, DeadlineChange, Reply, Tally, TallyState
from replies.services import deadlines, progress, publication, rating, rollups
from replies.services.letters.importer import import_letter
from tests import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def tallies() -> dict[tuple[int, int, int], dict[str, int]]:
    """Every tally row with anything in it, by key."""
    found = {}
    for row in Tally.objects.all():
        values = {name: getattr(row, name) for name in rollups.COUNTED}
        if any(values.values()):
            found[(row.committee_id, row.session_id, row.department_id)] = values
    return found


def recounted() -> dict[tuple[int, int, int], dict[str, int]]:
    """What a full recount gives on the tallies' day (rolled back: the tallies under test
    are left as they were)."""
    sid = connection.savepoint()
    try:
        rollups.rebuild(rollups.as_of())
        return tallies()
    finally:
        connection.savepoint_rollback(sid)


def assert_current():
    assert tallies() == recounted()


@pytest.fixture
def office(db):
    return make_user("rollups-office", roles.OFFICE)


def test_every_service_leaves_the_tallies_equal_to_a_recount(seed, office):
    """A scenario through every service that changes what the tallies count; after each
    step the tallies equal a recount. The first check is not vacuous: the seed letter's
    commitments are counted."""
    today = timezone.localdate()
    assert tallies()[(0, 0, 0)]["commitments"] == seed.reply.commitments.count() > 0
    assert_current()

    reply = seed.reply
    first, second = list(reply.commitments.order_by("number"))[:2]

    # Progress: one update, then a batch.
    progress.post_update(commitment=first, status="fulfilled", date=today)
    assert_current()
    progress.post_updates(
        [progress.ProgressUpdate(commitment_id=second.pk, status="partial", date=today)]
    )
    assert_current()

    # A deadline moved (approved), into the past: overdue now.
    change = deadlines.request_change(
        commitment=second, new_due=today - datetime.timedelta(days=3), reason="调整", actor=office
    )
    deadlines.approve_change(change=change, actor=office, allow_earlier=True)
    assert DeadlineChange.objects.get(pk=change.pk).status == DeadlineChange.Status.APPROVED
    assert_current()

    # The office gives a commitment to another department.
    other = factories.DepartmentFactory()
    second.refresh_from_db()
    publication.edit_commitment(
        commitment=second,
        changes={"owner": other},
        expected_version=second.version,
        actor=office,
    )
    assert CommitmentItem.objects.get(pk=second.pk).owner == other
    assert_current()

    # Rating, then the proposal moves to another session (of another committee).
    rating.rate_reply(reply=reply, satisfaction="satisfied")
    assert_current()
    proposal = Proposal.objects.get(pk=reply.proposal_id)
    proposal.session = factories.SessionFactory()
    proposal_services.save_proposal(proposal=proposal, changed={"session"}, actor=office)
    assert_current()
    # Reply due dates (the on-time rate).
    proposal_services.record_assignments({proposal.pk: datetime.date(2021, 5, 1)})
    assert_current()

    # Withdrawn: nothing of it counts; published again: all of it does.
    publication.withdraw_reply(reply=reply, reason="内容有误", actor=office)
    withdrawn = tallies()
    assert withdrawn.get((0, 0, 0), {}).get("commitments", 0) == 0
    assert_current()
    publication.publish_reply(reply=reply, actor=office)
    assert_current()

    # A draft changes nothing; its publication counts it.
    draft = factories.ReplyFactory(published_at=None)
    factories.CommitmentFactory(reply=draft)
    before = tallies()
    assert tallies() == before
    publication.publish_reply(reply=draft, actor=office)
    assert tallies() != before
    assert_current()


def test_a_corrected_letter_from_another_department_recounts_the_superseded_reply(
    seed, seed_letter, office
):
    """A later letter for the same proposal supersedes the earlier answer: the earlier
    one's cell stops counting it as an answer."""
    assert tallies()[(0, 0, 0)]["answers"] == 1
    rating.rate_reply(reply=seed.reply, satisfaction="unsatisfied")
    import_letter(text=seed_letter.replace("二〇二一年", "二〇二二年", 1), force=True)
    assert_current()


def test_overdue_moves_on_with_the_day_without_a_write(seed):
    """The tallies count overdue on their day; the readers add what fell due since (or
    take it away for a day before), and ``advance`` moves the day on."""
    item = seed.reply.commitments.order_by("number").first()
    CommitmentItem.objects.filter(pk=item.pk).update(
        due_on=datetime.date(2030, 6, 1), status="in_progress"
    )
    rollups.rebuild(datetime.date(2030, 5, 1))
    commitments = CommitmentItem.objects.public()
    for day in (datetime.date(2030, 5, 1), datetime.date(2030, 6, 2), datetime.date(2030, 4, 1)):
        figures = selectors.home_figures(today=day)["commitments"]
        assert figures == selectors.status_counts(commitments, today=day), day
    assert rollups.advance(datetime.date(2030, 6, 2)) == 1
    assert TallyState.objects.get().as_of == datetime.date(2030, 6, 2)
    assert rollups.advance(datetime.date(2030, 6, 2)) == 0
    assert_current()


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": "overdue"},
        {"status": "in_progress"},
        {"committee": "COMMITTEE"},
        {"committee": "COMMITTEE", "status": "overdue"},
        {"department": "DEPARTMENT"},
        {"session": "SESSION", "department": "DEPARTMENT", "status": "not_started"},
        {"committee": "other", "session": "SESSION"},
    ],
)
def test_the_list_counts_from_the_tallies_equal_a_count_of_the_rows(seed, query):
    reply = seed.reply
    names = {
        "COMMITTEE": reply.proposal.session.committee.slug,
        "SESSION": str(reply.proposal.session_id),
        "DEPARTMENT": str(reply.department_id),
    }
    data = {key: names.get(value, value) for key, value in query.items()}
    factories.CommitmentFactory()  # another committee's
    days = [timezone.localdate()]
    if query.get("status") != "overdue":  # the filter itself reads today's date
        days.append(datetime.date(2021, 1, 1))  # before the tallies' day: taken away
    for day in days:
        filterset = CommitmentFilter(data, queryset=CommitmentItem.objects.public())
        counts = selectors.commitment_counts(filterset, today=day)
        assert counts is not None
        assert counts == selectors.status_counts(filterset.qs, today=day), (query, day)


def test_a_date_filter_is_counted_from_the_rows():
    filterset = CommitmentFilter(
        {"due_after": "2021-01-01"}, queryset=CommitmentItem.objects.public()
    )
    assert selectors.commitment_counts(filterset) is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_leave_the_right_counts():
    """Two transactions posting progress on commitments of the same cell at once: the
    state row's lock orders them, and the second recounts after the first committed."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    reply = factories.ReplyFactory()
    items = [factories.CommitmentFactory(reply=reply, status="not_started") for _ in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def post(item):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            progress.post_update(commitment=item, status="fulfilled")
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    row = Tally.objects.get(committee_id=0, session_id=0, department_id=0)
    assert (row.commitments, row.fulfilled, row.not_started) == (2, 2, 0)
    assert Reply.objects.count() == 1


def test_the_command_rebuilds_and_advances(seed):
    """``manage.py refresh_rollups --rebuild`` repairs tallies that drifted (a bulk load
    that went around the services); without it, it moves the day on."""
    from django.core.management import call_command

    Tally.objects.all().delete()
    call_command("refresh_rollups", "--rebuild", stdout=io.StringIO())
    assert tallies()[(0, 0, 0)]["commitments"] == seed.reply.commitments.count()
    assert_current()
    TallyState.objects.update(as_of=datetime.date(2020, 1, 1))
    call_command("refresh_rollups", stdout=io.StringIO())
    assert TallyState.objects.get().as_of == timezone.localdate()
    assert_current()


def test_the_nightly_task_is_scheduled_and_moves_the_day_on(seed, settings):
    from replies import tasks

    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "replies.tasks.advance_rollups" in names
    TallyState.objects.update(as_of=datetime.date(2020, 1, 1))
    tasks.advance_rollups.delay()  # eager without REDIS_URL
    assert TallyState.objects.get().as_of == timezone.localdate()
    assert_current()


def _figures(department) -> dict:
    """办复率 and 按时办复率 of one department as the dashboard shows them."""
    data = selectors.dashboard(department=department)
    row = data["by_department"][0]
    assert row["key"] == department.pk
    return {
        key: row[key] for key in ("assigned", "replied", "reply_rate", "due_passed", "on_time_rate")
    }


def test_assignment_counts_follow_every_step_of_handling(office):
    """办复率 = replied ÷ assigned, 按时办复率 = answered by the reply due date ÷ assigned
    past it: a proposal counts from its 交办 (public or not), in its lead department's cell,
    through extension, answer, return and deletion; the tallies equal a recount after each."""
    today = timezone.localdate()
    department = factories.DepartmentFactory()
    session = factories.SessionFactory()
    waiting = factories.ProposalFactory(session=session, lead_department=None)
    late = factories.ProposalFactory(session=session, lead_department=None)
    for proposal in (waiting, late):
        proposal_services.transition(proposal=proposal, to=Proposal.Status.ACCEPTED)
    assert rollups.assigned_proposals().filter(pk__in=[waiting.pk, late.pk]).count() == 0

    # 交办 four months ago: the reply was due a month ago (REPLY_DUE_MONTHS = 3).
    assigned_on = today - datetime.timedelta(days=120)
    for proposal in (waiting, late):
        proposal_services.assign(proposal=proposal, lead=department, assigned_on=assigned_on)
    assert_current()
    assert _figures(department) == {
        "assigned": 2,
        "replied": 0,
        "reply_rate": 0.0,
        "due_passed": 2,
        "on_time_rate": 0.0,
    }

    # An approved extension puts one proposal's deadline in the future.
    extension = proposal_services.request_extension(
        proposal=waiting, new_due=today + datetime.timedelta(days=30), reason="调研", user=office
    )
    proposal_services.approve_extension(extension=extension, user=office)
    assert_current()
    assert _figures(department)["due_passed"] == 1

    # Answered: one within its extended deadline (counted once it passes), one late.
    factories.ReplyFactory(proposal=waiting, department=department, letter_date=today)
    factories.ReplyFactory(proposal=late, department=department, letter_date=today)
    assert_current()
    assert _figures(department) == {
        "assigned": 2,
        "replied": 2,
        "reply_rate": 100.0,
        "due_passed": 1,
        "on_time_rate": 0.0,
    }

    # The extended deadline passes: the dashboard counts it on the day (before the
    # nightly job), and the job moves the tallies on.
    later = today + datetime.timedelta(days=31)
    data = selectors.dashboard(department=department, today=later)
    assert (data["totals"]["due_passed"], data["totals"]["on_time_rate"]) == (2, 50.0)
    rollups.advance(later)
    assert_current()
    data = selectors.dashboard(department=department, today=later)
    assert (data["totals"]["due_passed"], data["totals"]["on_time_rate"]) == (2, 50.0)


def test_a_returned_or_deleted_proposal_leaves_the_rate(office):
    department = factories.DepartmentFactory()
    proposals = [factories.ProposalFactory(lead_department=None) for _ in range(2)]
    for proposal in proposals:
        proposal_services.transition(proposal=proposal, to=Proposal.Status.ACCEPTED)
        proposal_services.assign(proposal=proposal, lead=department)
    assert _figures(department)["assigned"] == 2
    proposal_services.return_misassigned(proposal=proposals[0])
    assert_current()
    assert _figures(department)["assigned"] == 1
    assert proposal_services.delete_proposals([proposals[1]]) == 1
    assert_current()
    assert not selectors.dashboard(department=department)["by_department"]


def test_a_proposal_with_a_published_reply_is_not_deleted(seed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        proposal_services.delete_proposals([seed.reply.proposal])
    assert Reply.objects.filter(pk=seed.reply.pk).exists()


def test_a_change_the_form_did_not_report_is_still_recounted(office):
    """A version restored from the admin's history reports its changes against that
    version, not the row: the service compares with the stored row itself."""
    first, second = factories.DepartmentFactory(), factories.DepartmentFactory()
    proposal = factories.ProposalFactory(lead_department=None)
    proposal_services.transition(proposal=proposal, to=Proposal.Status.ACCEPTED)
    proposal_services.assign(proposal=proposal, lead=first)
    proposal.lead_department = second
    proposal_services.save_proposal(proposal=proposal, changed=set(), actor=office)
    assert_current()
    assert _figures(second)["assigned"] == 1
    assert not selectors.dashboard(department=first)["by_department"]


def test_a_migration_that_adds_columns_gets_a_full_recount(seed):
    """The post-migrate hook recounts when a migration asked for it, even though a writer
    made the state row again in between."""
    from replies.apps import _build_tallies

    Tally.objects.update(commitments=0)
    TallyState.objects.update(rebuild_needed=True)
    _build_tallies(sender=None)
    assert not TallyState.objects.get().rebuild_needed
    assert tallies()[(0, 0, 0)]["commitments"] == seed.reply.commitments.count() > 0
    assert_current()
