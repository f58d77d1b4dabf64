"""Two things at once, on PostgreSQL: simultaneous imports of one letter, simultaneous edits
of one commitment. The database decides (a unique constraint, a row lock); nothing is
duplicated and no acknowledged update is lost.

Each race is lined up deterministically: the main thread holds the lock that both workers
need, waits until PostgreSQL reports both of them waiting for it, then lets go.
"""

import io
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from core import roles
from proposals.models import Proposal
from replies.models import CommitmentItem, CommitmentUpdate, Reply, Target
from replies.parsing import parse_letter
from replies.services import progress
from replies.services.letters import importer, lookups

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises every write to the whole file: there is no race to show; "
        "the row locks and constraint waits under test are PostgreSQL's",
    ),
]
User = get_user_model()


def waiting_for_locks() -> int:
    with connections["default"].cursor() as cursor:
        # Activity is otherwise a snapshot taken once per transaction.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(hold: Callable[[], None], *workers: Callable[[], object]) -> list[tuple[str, object]]:
    """Run ``workers`` in threads while ``hold()`` (called in an open transaction) keeps a
    lock they all need; release it once every worker waits for it. Returns each worker's
    ("ok", result) or ("error", exception)."""
    results: list[tuple[str, object]] = [("error", None)] * len(workers)

    def run(index: int, work: Callable[[], object]) -> None:
        try:
            results[index] = ("ok", work())
        except Exception as error:  # reported to the test, which names it
            results[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(workers)]
    with transaction.atomic():
        hold()
        for thread in threads:
            thread.start()
        for _poll in range(600):
            if waiting_for_locks() >= len(workers):
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the workers never lined up behind the lock")
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a worker hung"
    return results


def lock_table(model) -> Callable[[], None]:
    def hold():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")

    return hold


def lock_row(instance) -> Callable[[], None]:
    def hold():
        type(instance).objects.select_for_update().get(pk=instance.pk)

    return hold


# ---------------------------------------------------------------------------
# Two imports of the same letter
# ---------------------------------------------------------------------------


@pytest.fixture
def letter(seed_letter) -> str:
    """The seed letter, with its committee, session and department already known, so that
    the two imports first meet where it matters: creating the proposal."""
    parsed = parse_letter(seed_letter)
    committee = lookups.committee_for(agency=parsed.agency, kind=parsed.kind)
    lookups.session_for(
        committee=committee,
        label=parsed.session,
        year=parsed.reply_date.year if parsed.reply_date else None,
    )
    lookups.department_for(parsed.agency)
    return seed_letter


def import_command(path) -> Callable[[], str]:
    def work() -> str:
        out, err = io.StringIO(), io.StringIO()
        call_command("import_letters", str(path), stdout=out, stderr=err)
        return out.getvalue() + err.getvalue()

    return work


def test_two_simultaneous_imports_create_one_proposal(letter, tmp_path):
    """The unique constraint (session, number) decides: one proposal, one reply, one set of
    commitments. The loser is not an error: it reports the letter as already there
    (未变), pointing at the winner's proposal."""
    path = tmp_path / "letter.txt"
    path.write_text(letter, encoding="utf-8")
    results = race(lock_table(Proposal), import_command(path), import_command(path))
    assert [kind for kind, _value in results] == ["ok", "ok"], results
    outputs = sorted(str(value) for _kind, value in results)
    assert "导入 0，更新 0，未变 1，失败 0" in outputs[0]
    assert "导入 1，更新 0，未变 0，失败 0" in outputs[1]
    assert Proposal.objects.count() == 1
    assert Reply.objects.count() == 1
    reply = Reply.objects.get()
    assert reply.commitments.count() == len(parse_letter(letter).sections)
    numbers = list(reply.commitments.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


def test_two_simultaneous_admin_saves_of_a_letter_create_one_proposal(letter):
    """The admin's import (force=True, staff corrected the preview): the loser updates the
    winner's reply in place ("updated") instead of creating a second proposal."""

    def work():
        return importer.import_letter(text=letter, force=True)

    results = race(lock_table(Proposal), work, work)
    assert [kind for kind, _value in results] == ["ok", "ok"], results
    outcomes = sorted(value.outcome for _kind, value in results)
    assert outcomes == ["imported", "updated"]
    assert len({value.proposal.pk for _kind, value in results}) == 1
    assert Proposal.objects.count() == 1
    assert Reply.objects.count() == 1
    assert CommitmentItem.objects.count() == len(parse_letter(letter).sections)


# ---------------------------------------------------------------------------
# Two edits of the same commitment
# ---------------------------------------------------------------------------


@pytest.fixture
def commitment_with_target(reply):
    from tests import factories

    item = factories.CommitmentFactory(reply=reply, owner=reply.department)
    target = factories.TargetFactory(commitment=item, quantity=20)
    return item, target


@pytest.fixture
def staff_clients(db):
    roles.ensure_roles()
    clients = []
    for name in ("office-a", "office-b"):
        user = User.objects.create_user(name, password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=roles.OFFICE))
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def test_two_progress_posts_on_one_version_never_lose_an_update(
    commitment_with_target, staff_clients
):
    """Both staff loaded the same version and save at once: one save lands, the other is
    refused with the newer state shown (not silently overwritten, not half-saved)."""
    item, target = commitment_with_target
    url = reverse("portal:progress", args=[item.pk])
    loaded = item.version

    def post(client, note, achieved):
        def work():
            return client.post(
                url,
                {
                    "version": loaded,
                    "date": "2024-03-01",
                    "status": "in_progress",
                    "note": note,
                    f"achieved_{target.pk}": achieved,
                },
            )

        return work

    results = race(
        lock_row(item),
        post(staff_clients[0], "甲的进展", "5"),
        post(staff_clients[1], "乙的进展", "7"),
    )
    assert [kind for kind, _value in results] == ["ok", "ok"], results
    responses = [value for _kind, value in results]
    assert sorted(response.status_code for response in responses) == [200, 302]
    winner = 0 if responses[0].status_code == 302 else 1
    loser = responses[1 - winner]
    assert "已被他人" in loser.content.decode()
    item.refresh_from_db()
    target.refresh_from_db()
    assert item.version == loaded + 1
    assert list(item.updates.values_list("note", flat=True)) == [["甲的进展", "乙的进展"][winner]]
    assert target.achieved == [Decimal("5"), Decimal("7")][winner]


def test_two_editors_who_retry_after_a_refusal_both_land(commitment_with_target):
    """What the refusal is for: each editor whose save was refused reloads and saves again,
    and in the end both updates are there, one after the other."""
    item, target = commitment_with_target
    start = item.version

    def editor(note: str, achieved: str):
        def work():
            for _attempt in range(10):
                current = CommitmentItem.objects.get(pk=item.pk)
                try:
                    return progress.record_progress(
                        commitment=current,
                        expected_version=current.version,
                        status="in_progress",
                        note=note,
                        achieved={target.pk: Decimal(achieved)},
                    ).pk
                except progress.StaleEditError:
                    continue
            raise AssertionError("never got through")

        return work

    results = race(lock_row(item), editor("第一位", "5"), editor("第二位", "7"))
    assert [kind for kind, _value in results] == ["ok", "ok"], results
    item.refresh_from_db()
    assert item.version == start + 2
    assert sorted(item.updates.values_list("note", flat=True)) == ["第一位", "第二位"]
    latest = item.updates.order_by("-created_at", "-pk").first()
    target.refresh_from_db()
    assert target.achieved == {"第一位": Decimal("5"), "第二位": Decimal("7")}[latest.note]


def test_two_simultaneous_updates_from_the_admin_both_land(commitment_with_target):
    """Appending updates (the admin's inline) needs no version: the row lock orders them."""
    item, _target = commitment_with_target

    def add(note: str, status: str):
        return lambda: progress.post_update(commitment=item, status=status, note=note).pk

    results = race(lock_row(item), add("甲", "in_progress"), add("乙", "fulfilled"))
    assert [kind for kind, _value in results] == ["ok", "ok"], results
    assert CommitmentUpdate.objects.filter(commitment=item).count() == 2
    item.refresh_from_db()
    assert item.status == progress.latest_update(item).status


def test_two_simultaneous_admin_edits_refuse_the_stale_one(commitment_with_target, staff_clients):
    item, target = commitment_with_target
    url = reverse("admin:replies_commitmentitem_change", args=[item.pk])

    def edit(client, heading):
        data = {
            "reply": item.reply_id,
            "owner": item.owner_id,
            "number": item.number,
            "marker": item.marker,
            "heading": heading,
            "text": item.text,
            "statements": "[]",
            "loaded_version": item.version,
            "targets-TOTAL_FORMS": 1,
            "targets-INITIAL_FORMS": 1,
            "targets-0-id": target.pk,
            "targets-0-commitment": item.pk,
            "targets-0-text": target.text,
            "targets-0-quantity": "20",
            "targets-0-unit": target.unit,
            "updates-TOTAL_FORMS": 0,
            "updates-INITIAL_FORMS": 0,
        }
        return lambda: client.post(url, data)

    results = race(
        lock_row(item),
        edit(staff_clients[0], "甲改的小标题"),
        edit(staff_clients[1], "乙改的小标题"),
    )
    assert [kind for kind, _value in results] == ["ok", "ok"], results
    responses = [value for _kind, value in results]
    assert sorted(response.status_code for response in responses) == [200, 302]
    winner = 0 if responses[0].status_code == 302 else 1
    assert "已被他人" in responses[1 - winner].content.decode()
    item.refresh_from_db()
    assert item.heading == ["甲改的小标题", "乙改的小标题"][winner]
    assert Target.objects.filter(commitment=item).count() == 1
