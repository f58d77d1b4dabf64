"""Two nodes, one truth: two gunicorn instances sharing the test's PostgreSQL database and
a Redis serve a publication and a withdrawal made through one of them on the other's very
next request (bench/two_nodes.py's checks; ``make two-nodes`` runs them on a database of
their own)."""

import datetime

import pytest
from django.db import connection

from bench.chaos import django_env, spare_port, start_gunicorn, stop_process
from bench.two_nodes import Browser, Draft, scenario
from core import roles
from replies.models import Reply
from replies.services.letters.importer import import_letter
from tests.conftest import make_user
from tests.servers import module_redis_server  # noqa: F401  (a fixture)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the nodes share the test database: PostgreSQL only",
    ),
]


@pytest.fixture(scope="module")
def nodes(module_redis_server, tmp_path_factory, django_db_setup, django_db_blocker):  # noqa: F811
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
    work = tmp_path_factory.mktemp("two-nodes")
    env = django_env(f"postgres://postgres@127.0.0.1:5432/{name}", work / "media")
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_test",
        REDIS_URL=module_redis_server.url,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    started = []
    try:
        for label in "ab":
            logs = work / label
            logs.mkdir()
            port = spare_port()
            started.append((start_gunicorn(env, port, logs, workers=2), port))
        yield [port for _process, port in started]
    finally:
        for process, _port in started:
            stop_process(process)


@pytest.fixture
def draft(samples_dir) -> Draft:
    letter = (samples_dir / "letters" / "001.txt").read_text(encoding="utf-8")
    result = import_letter(text=letter, publish=False)
    return Draft(
        reply=result.reply.pk, page=result.proposal.get_absolute_url(), text=result.reply.title
    )


@pytest.fixture
def office():
    user = make_user("two-nodes-office", roles.OFFICE)
    user.set_password("two-nodes-pw")
    user.save()
    return user


def test_what_node_a_publishes_and_withdraws_node_b_serves_at_once(nodes, draft, office):
    a, b = nodes
    failures = scenario(a, b, username=office.username, password="two-nodes-pw", draft=draft)
    assert not failures


def test_the_checks_see_a_stale_cache(nodes, draft, office):
    """A write that skips the services (no public-data version bump) is not seen: the nodes
    really serve from the shared page cache, so the checks above can fail."""
    a, b = nodes
    from replies.services import publication

    publication.publish_reply(reply=Reply.objects.get(pk=draft.reply))
    # Behind the proxy both nodes are asked for the site's one address (the page cache's
    # key holds the URL as the visitor asked for it).
    site = {"Host": "127.0.0.1"}
    first = Browser(b).request("GET", draft.page, extra_headers=site)
    assert first.status == 200 and draft.text in first.body
    Reply.objects.filter(pk=draft.reply).update(
        withdrawn_at=datetime.datetime.now(datetime.UTC), withdrawn_reason="绕过服务"
    )
    stale = Browser(a).request("GET", draft.page, extra_headers=site)
    assert stale.status == 200 and draft.text in stale.body  # A reads B's cached copy
