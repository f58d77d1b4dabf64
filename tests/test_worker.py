"""The background work against a real Celery worker and Redis (the integration set): the
tasks travel through the broker by id, and the worker reads what the test committed
(transactional tests) from the same PostgreSQL database."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from django.db import connection

from config.celery import app
from core import roles
from proposals.models import Proposal
from replies.models import ImportJob, ImportUpload, Reminder, Reply
from replies.services.letters import jobs
from tests import factories
from tests.conftest import make_user
from tests.servers import module_redis_server  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker shares the test database: PostgreSQL only",
    ),
]


def database_url() -> str:
    name = connection.settings_dict["NAME"]
    return f"postgres://postgres@127.0.0.1:5432/{name}"


@pytest.fixture(scope="module")
def worker(module_redis_server, tmp_path_factory, django_db_setup, django_db_blocker):  # noqa: F811
    """``celery -A config worker`` on the throwaway Redis, and this process sending to it
    instead of running tasks eagerly: started once for the module."""
    redis_server = module_redis_server
    tmp_path = tmp_path_factory.mktemp("worker")
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": url,
        "DJANGO_CONN_MAX_AGE": "0",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    before = dict(app.conf)
    drop_broker_connections()  # any opened earlier point at the eager tests' memory://
    app.conf.update(broker_url=redis_server.url, task_always_eager=False)
    try:
        yield tmp_path / "worker.log"
    finally:
        app.conf.update(
            broker_url=before["broker_url"], task_always_eager=before["task_always_eager"]
        )
        drop_broker_connections()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def drop_broker_connections() -> None:
    """Forget the app's broker connections and producers (as Celery does after a fork), so
    that the next message goes to the broker now configured."""
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(check, log: Path, *, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"the worker did not finish in {timeout} s:\n{log.read_text()[-3000:]}")


def test_a_batch_is_imported_by_the_worker(worker, samples_dir):
    office = make_user("worker-office", roles.OFFICE)
    paths = sorted((samples_dir / "letters").glob("*.txt"))[:3]
    sent = []

    def record(sender=None, body=None, **kwargs):
        sent.append(json.dumps(body, ensure_ascii=False, default=str))

    before_task_publish.connect(record)
    try:
        job = jobs.submit(
            files=[(path.name, path.read_bytes()) for path in paths],
            actor=office,
            publish=True,
            unknown_committee=True,
        )
    finally:
        before_task_publish.disconnect(record)
    # The message carries the batch's id, never a letter's text.
    assert len(sent) == 1 and str(job.pk) in sent[0]
    assert not re.search(r"[\u4e00-\u9fff]", sent[0])
    job = wait_for(
        lambda: ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.DONE).first(), worker
    )
    assert (job.processed, job.imported, job.failed) == (3, 3, 0)
    assert not ImportUpload.objects.exists()
    assert Reply.objects.published().count() == 3
    # The batch queued its 此前相关提案 refresh after its commit: let the worker finish it
    # before the test's data is flushed.
    from config.celery import app

    def idle() -> bool:
        inspect = app.control.inspect(timeout=1)
        busy = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
        return not any(busy)

    wait_for(idle, worker)


def test_reminders_and_reindexing_run_on_the_worker(worker, settings):
    from replies import tasks

    department = factories.DepartmentFactory(email="kj@example.gov.cn")
    reply = factories.ReplyFactory(department=department, proposal__lead_department=department)
    factories.CommitmentFactory(reply=reply, owner=department, due_on="2020-01-01")
    Proposal.objects.update(search_vector=None)
    tasks.send_reminders.delay()
    tasks.reindex.delay()
    wait_for(lambda: Reminder.objects.exists(), worker)
    wait_for(
        lambda: (
            not Proposal.objects.filter(is_public=True, search_vector__isnull=True).exists()
            and Proposal.objects.filter(is_public=True).exists()
        ),
        worker,
    )
