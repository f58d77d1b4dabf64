"""Two nodes, one truth (``make two-nodes``; tests/test_two_nodes.py runs the same checks).

Two gunicorn instances on different ports share one PostgreSQL database and one Redis
(the shared cache). A reply is published, then withdrawn, through node A's admin; node B
must serve the change on its very next request after A's response — plain and
conditional requests alike (a browser's If-None-Match from before the change must get
the new page, never a 304). Node A's own cached copy must move too.

    make two-nodes        # a fresh database tiantrack_two_nodes, a throwaway Redis

The database is created afresh on the PostgreSQL server of DATABASE_URL (default the local
one); REDIS_URL, when set, names the Redis to use instead of a throwaway one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.chaos import (  # noqa: E402
    Browser,
    django_env,
    form_fields,
    manage,
    replace,
    spare_port,
    start_gunicorn,
    stop_process,
)

WITHDRAWN_MARK = "已撤回"


@dataclass
class Draft:
    """The draft reply the scenario publishes and withdraws, and the page that shows it."""

    reply: int
    page: str  # the proposal's public page
    text: str  # words of the reply that its public page shows once published


def log_in(port: int, username: str, password: str) -> Browser:
    browser = Browser(port)
    page = browser.get("/admin/login/")
    fields = form_fields(page.body, containing="password")
    if fields is None:
        raise SystemExit(f"node on {port}: no login form ({page.status})")
    fields = replace(fields, username=username, password=password, next="/admin/")
    answer = browser.request("POST", "/admin/login/?next=/admin/", fields)
    if answer.status != 302:
        raise SystemExit(f"node on {port}: login refused ({answer.status})")
    return browser


def admin_action(browser: Browser, reply: int, action: str, **extra: str) -> int:
    """Runs a changelist action (publish, withdraw) on one reply through the admin."""
    path = "/admin/replies/reply/"
    page = browser.get(path)
    fields = form_fields(page.body, containing="_selected_action")
    if fields is None:
        raise SystemExit(f"no action form on {path} ({page.status})")
    token = dict(fields)["csrfmiddlewaretoken"]
    data = [
        ("csrfmiddlewaretoken", token),
        ("action", action),
        ("_selected_action", str(reply)),
        ("index", "0"),
        *extra.items(),
    ]
    return browser.request("POST", path, data).status


def scenario(a: int, b: int, *, username: str, password: str, draft: Draft) -> list[str]:
    """The checks; returns what failed (nothing, when the nodes agree)."""
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("  ok   " if ok else "  FAIL ") + what)
        if not ok:
            failures.append(what)

    public_b, public_a = Browser(b), Browser(a)
    before = public_b.get(draft.page)
    check(before.status == 404, f"B, before: the draft's page is not public ({before.status})")
    home = public_b.get("/")
    public_a.get("/")  # both nodes' page caches hold the home page now
    check(home.status == 200 and "etag" in home.headers, "B: home page with an ETag")

    office = log_in(a, username, password)
    status = admin_action(office, draft.reply, "publish")
    check(status == 302, f"A: published through the admin ({status})")
    after = public_b.get(draft.page)
    check(
        after.status == 200 and draft.text in after.body,
        f"B, next request: the published reply is served ({after.status})",
    )
    again = public_b.get("/", if_none_match=home.headers.get("etag", ""))
    check(
        again.status == 200 and again.headers.get("etag") != home.headers.get("etag"),
        f"B: an If-None-Match from before gets the new home page, not 304 ({again.status})",
    )
    same = public_b.get(draft.page, if_none_match=after.headers.get("etag", ""))
    check(same.status == 304, f"B: nothing changed since, so 304 ({same.status})")
    on_a = public_a.get(draft.page)
    check(on_a.status == 200 and draft.text in on_a.body, f"A: the same page ({on_a.status})")

    status = admin_action(office, draft.reply, "withdraw", reason="两节点检查：撤回", post="yes")
    check(status in (200, 302), f"A: withdrawn through the admin ({status})")
    gone = public_b.get(draft.page)
    check(
        gone.status == 410 and draft.text not in gone.body and WITHDRAWN_MARK in gone.body,
        f"B, next request: the withdrawal notice, not the reply ({gone.status})",
    )
    stale = public_b.get(draft.page, if_none_match=after.headers.get("etag", ""))
    check(
        stale.status == 410 and draft.text not in stale.body,
        f"B: an If-None-Match from when it was public gets the notice, not 304 ({stale.status})",
    )
    on_a = public_a.get(draft.page)
    check(on_a.status == 410, f"A: the notice too ({on_a.status})")
    return failures


# ---------------------------------------------------------------------------
# make two-nodes
# ---------------------------------------------------------------------------

SEED_CODE = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from core.roles import OFFICE, ensure_roles
from replies.models import Reply
ensure_roles()
User = get_user_model()
user, _ = User.objects.get_or_create(username="two-nodes-office", defaults={"is_staff": True})
user.set_password(PASSWORD)
user.is_staff = True
user.save()
user.groups.add(Group.objects.get(name=OFFICE))
reply = Reply.objects.drafts().select_related("proposal").order_by("-pk").first()
print(json.dumps({
    "reply": reply.pk,
    "page": reply.proposal.get_absolute_url(),
    "text": reply.title,
}))
"""


def start_redis(directory: Path) -> tuple[str, subprocess.Popen | None]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed; or set REDIS_URL")
    port = spare_port()
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return f"redis://127.0.0.1:{port}/0", process


DATABASE_NAME = "tiantrack_two_nodes"


def fresh_database(server_url: str) -> str:
    """A new, empty database for the run on the server of ``server_url``; its URL."""
    import psycopg

    server = server_url.rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return f"{server}/{DATABASE_NAME}"


def main() -> int:
    import json

    samples = Path(os.environ.get("SAMPLES_DIR") or ROOT.parent / "shared" / "samples")
    letter = sorted((samples / "letters").glob("*.txt"))[:1]
    if not letter:
        raise SystemExit(f"no sample letters at {samples} (set SAMPLES_DIR)")
    database = fresh_database(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    work = Path(tempfile.mkdtemp(prefix="two-nodes-"))
    redis_url, redis_process = start_redis(work)
    env = django_env(database, work / "media")
    env["REDIS_URL"] = redis_url
    nodes = []
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "import_letters", "--draft", "--unknown-committee", str(letter[0]))
        password = secrets.token_urlsafe(16)
        seeded = json.loads(
            manage(env, "shell", "-c", f"PASSWORD = {password!r}\n" + SEED_CODE)
            .strip()
            .splitlines()[-1]
        )
        ports = [spare_port(), spare_port()]
        for name, port in zip("AB", ports, strict=True):
            logs = work / f"node-{name}"
            logs.mkdir()
            nodes.append(start_gunicorn(env, port, logs, workers=2))
            print(f"node {name}: http://127.0.0.1:{port}/ (2 workers)")
        print(f"shared: {database.rsplit('@', 1)[-1]} and Redis {redis_url}")
        failures = scenario(
            ports[0],
            ports[1],
            username="two-nodes-office",
            password=password,
            draft=Draft(**seeded),
        )
    finally:
        for node in nodes:
            stop_process(node)
        if redis_process is not None:
            redis_process.kill()
    print("two nodes agree" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
