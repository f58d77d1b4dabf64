"""`make chaos`: the site under load while its PostgreSQL server crashes, on a cluster of
its own. A test that can fail.

    python bench/chaos.py [--quick] [--no-outage] [--postgres-setting NAME=VALUE ...]

1. Creates a throwaway PostgreSQL cluster (initdb in a temporary folder, a spare port on
   127.0.0.1, never the shared cluster on 5432), started and stopped here.
2. Checks that the app's own connections run with ``fsync``, ``synchronous_commit`` and
   ``full_page_writes`` on (``SHOW`` through the app's database settings, so options in
   its DATABASE_URL count too); fails if not. ``--postgres-setting fsync=off`` and
   ``--app-setting synchronous_commit=off`` show that it does.
3. Prepares the database: migrations, the sample letters through the importer, an office
   user and a member who proposed one of the published replies.
4. Starts gunicorn with production settings (debug off, a generated secret; plain http on
   loopback, so ``DJANGO_SECURE_SSL_REDIRECT=0``).
5. Drives, through HTTP, the writes users make — the office editing a commitment's
   heading in the admin's change form (with its ``loaded_version``), staff posting
   progress with a PDF on ``/staff/commitments/<id>/progress/``, the office importing a
   letter in the admin (paste → preview → save) and publishing it from the reply
   changelist's action, a member rating their own published reply — and the public reads,
   checked by content: after each progress update the proposal page and its JSON must show
   the note just written, after each heading edit the page its new heading.
6. Crashes PostgreSQL in the middle: SIGKILL to the postmaster, then to every process of
   the cluster still alive (the whole server gone at once, as when its machine or
   container dies); keeps it down ``outage`` seconds (at least 5); starts it again (crash
   recovery replays the WAL); keeps the load going until the site has answered without a
   failure for a while.
7. Reports: how long PostgreSQL refused connections, what users saw meanwhile, the
   recovery time, every acknowledged write (a 2xx/302 answer, which comes after the
   commit) and whether each one is in the database afterwards.

Exit status 0 only if all of these hold, 1 otherwise:
- the outage happened: PostgreSQL refused connections for at least 5 s, and users met it
  (``--no-outage`` runs the same load without the crash, and so must fail here);
- every request that failed during the outage got the Chinese 503 page (the admin's
  import may instead redisplay its form with "保存失败"); none got a 500 or no answer;
- no request failed outside the outage, and no page read was stale;
- each kind of write was acknowledged at least once, and none acknowledged was lost
  (nor stored twice);
- the site answered again after the restart.

Figures of the last run are in docs/reliability.md. Environment: CHAOS_PG_BIN
(/usr/lib/postgresql/15/bin), CHAOS_PG_USER (the user the server runs as when this runs
as root: postgres), CHAOS_PG_PORT and CHAOS_PORT (spare ports by default), SAMPLES_DIR.
"""

import argparse
import base64
import contextlib
import datetime
import html
import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG_BIN = Path(os.environ.get("CHAOS_PG_BIN", "/usr/lib/postgresql/15/bin"))
HOST = "127.0.0.1"
DB_NAME = "tiantrack_chaos"
WORKERS = 3
REQUEST_TIMEOUT = 15
MIN_OUTAGE = 5.0
# The page users see while the database is down (templates/503.html).
UNAVAILABLE_MARK = "服务暂时不可用"
# The admin's import catches a database error itself and redisplays the form with this.
IMPORT_FAILED_MARK = "保存失败"
# The settings that make an acknowledged commit survive a crash; none may be off.
DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")


@dataclass(frozen=True)
class Plan:
    """How long each phase lasts. Once every kind of write has been acknowledged (the
    workers are warm), the load runs ``before`` seconds, then PostgreSQL is down
    ``outage`` seconds, then the load goes on until the site has answered ``quiet``
    seconds without a failure, never longer than ``limit`` seconds in all."""

    before: float
    outage: float
    quiet: float
    limit: float
    letters: int  # sample letters imported before the load (0: all)
    pause: float  # each user's pause between actions
    think: float  # between a form's answer and its submission (and before posting again)


FULL = Plan(before=12.0, outage=8.0, quiet=10.0, limit=120.0, letters=0, pause=0.05, think=1.0)
# The bounded version CI runs (tests/test_chaos.py): about a minute in all.
QUICK = Plan(before=5.0, outage=5.5, quiet=5.0, limit=45.0, letters=4, pause=0.05, think=1.0)


def spare_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# The throwaway PostgreSQL cluster
# ---------------------------------------------------------------------------


class Cluster:
    """A PostgreSQL cluster in ``folder``, on ``port`` of 127.0.0.1, run by this script.

    initdb and postgres refuse to run as root: as root, they run as CHAOS_PG_USER
    (postgres). The server's processes are told apart from every other by their working
    directory, the data folder (the postmaster changes into it and its children inherit
    it), so the crash kills nothing else.
    """

    def __init__(self, folder: Path, port: int, settings: list[str]):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = port
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.as_user: dict = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam(os.environ.get("CHAOS_PG_USER", "postgres"))
            self.as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
            os.chown(folder, account.pw_uid, account.pw_gid)

    def url(self, database: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{database}"

    def initdb(self) -> None:
        result = subprocess.run(
            [
                str(PG_BIN / "initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ],
            cwd=self.folder,
            capture_output=True,
            text=True,
            **self.as_user,
        )
        if result.returncode:
            raise SystemExit(f"initdb failed:\n{result.stdout}{result.stderr}")

    def start(self) -> None:
        """Start the postmaster and wait until it accepts connections (after a crash,
        once its recovery has replayed the WAL)."""
        options = [
            f"listen_addresses={HOST}",
            f"port={self.port}",
            f"unix_socket_directories={self.folder}",
            "max_connections=40",
            "shared_buffers=64MB",
            *self.settings,
        ]
        command = [str(PG_BIN / "postgres"), "-D", str(self.data)]
        for option in options:
            command += ["-c", option]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self.as_user,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"postgres exited ({self.process.returncode}):\n{self.log_tail()}")
            if self.accepts():
                return
            time.sleep(0.1)
        raise SystemExit(f"postgres did not accept connections:\n{self.log_tail()}")

    def accepts(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def processes(self) -> list[int]:
        """Every live process of this cluster: those working in its data folder."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if Path(os.readlink(entry / "cwd")) == self.data:
                    found.append(int(entry.name))
            except OSError:
                continue  # gone, a zombie, or not ours to read
        return found

    def crash(self) -> tuple[int, int]:
        """SIGKILL to the postmaster, then to every process of the cluster left. Returns
        the postmaster's pid and how many other processes were killed."""
        assert self.process is not None
        postmaster = self.process.pid
        # Listed first: once the postmaster is gone its children soon exit by themselves.
        children = [pid for pid in self.processes() if pid != postmaster]
        os.kill(postmaster, signal.SIGKILL)
        others = 0
        for pid in sorted((set(children) | set(self.processes())) - {postmaster}):
            try:
                os.kill(pid, signal.SIGKILL)
                others += 1
            except ProcessLookupError:
                pass
        self.process.wait()
        deadline = time.monotonic() + 30
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        return postmaster, others

    def stop(self) -> None:
        """A fast shutdown (SIGINT), then whatever is left is killed."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# ---------------------------------------------------------------------------
# The app: its settings, the database, gunicorn
# ---------------------------------------------------------------------------


def django_env(database_url: str, media: Path) -> dict[str, str]:
    """Production settings for a plain-http run on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        # Plain http on 127.0.0.1: nothing to redirect to. Cookies keep their Secure flag
        # (production's default); this client sends them over http anyway.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_MEDIA_ROOT=str(media),
        # Publishing e-mails the proposers: no mail server here.
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args[:2])} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


SHOW_CODE = """
import json
from django.db import connection
with connection.cursor() as cursor:
    values = {}
    for name in NAMES:
        cursor.execute("SHOW " + name)
        values[name] = cursor.fetchone()[0]
print(json.dumps(values))
"""


def durability(env: dict[str, str]) -> dict[str, str]:
    """fsync, synchronous_commit and full_page_writes as the app's connections see them
    (the app's DATABASE_URL may carry options of its own)."""
    code = f"NAMES = {DURABILITY_SETTINGS!r}\n" + SHOW_CODE
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


SEED_CODE = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from core.roles import MEMBER, OFFICE, ensure_roles
from replies.models import CommitmentItem, Reply
ensure_roles()
User = get_user_model()
office = User.objects.create_user("chaos-office", password=PASSWORD, is_staff=True)
office.groups.add(Group.objects.get(name=OFFICE))
items = list(
    CommitmentItem.objects.public()
    .select_related("reply__proposal__session__committee")
    .order_by("pk")[:3]
)
def pages(item):
    proposal = item.reply.proposal
    session = proposal.session
    return {
        "page": proposal.get_absolute_url(),
        "json": reverse(
            "portal:detail-json", args=[session.committee.slug, session.slug, proposal.number]
        ),
    }
reply = Reply.objects.published().filter(proposal__proposers__isnull=False).order_by("-pk").first()
assert reply is not None and len(items) == 3, "the sample letters hold too few commitments"
proposer = reply.proposal.proposers.first()
member = User.objects.create_user("chaos-member", password=PASSWORD)
member.groups.add(Group.objects.get(name=MEMBER))
proposer.user = member
proposer.save()
print(json.dumps({
    "progress": [{"id": item.pk, **pages(item)} for item in items[:2]],
    "heading": {"id": items[2].pk, **pages(items[2])},
    "rating": reply.pk,
}))
"""


def prepare(env: dict[str, str], plan: Plan, samples: Path) -> tuple[str, dict]:
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    letters = sorted((samples / "letters").glob("*.txt"))
    if plan.letters:
        letters = letters[: plan.letters]
    manage(env, "import_letters", "--unknown-committee", *map(str, letters))
    password = secrets.token_urlsafe(16)
    seeded = json.loads(
        manage(env, "shell", "-c", f"PASSWORD = {password!r}\n" + SEED_CODE)
        .strip()
        .splitlines()[-1]
    )
    return password, seeded


def start_gunicorn(
    env: dict[str, str], port: int, logs: Path, *, workers: int = WORKERS
) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--access-logfile",
            str(logs / "access.log"),
            "--error-logfile",
            str(logs / "error.log"),
            "--capture-output",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {logs / 'error.log'}")
        try:
            if Browser(port).get("/healthz").status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop_process(process)
    raise SystemExit(f"gunicorn did not answer on /healthz; see {logs / 'error.log'}")


def worker_pids(master: int) -> list[int]:
    try:
        return sorted(map(int, Path(f"/proc/{master}/task/{master}/children").read_text().split()))
    except OSError:
        return []


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ---------------------------------------------------------------------------
# HTTP, as a browser speaks it
# ---------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def unavailable_page(self) -> bool:
        """The site's 503 page: status 503, Retry-After, the Chinese notice."""
        return (
            self.status == 503 and "retry-after" in self.headers and UNAVAILABLE_MARK in self.body
        )


class FormReader(HTMLParser):
    """The fields a browser would submit from each form of a page (no files)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        # name, options, selected, multiple
        self._select: tuple[str, list, list, bool] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"fields": []})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if "disabled" in a and tag in ("input", "select", "textarea"):
            return
        if tag == "input" and name and "__prefix__" not in name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields.append((name, a.get("value", "on")))
            elif kind not in ("file", "submit", "button", "image", "reset"):
                fields.append((name, a.get("value", "")))
        elif tag == "select" and name and "__prefix__" not in name:
            self._select = (name, [], [], "multiple" in a)
        elif tag == "option" and self._select is not None:
            self._select[1].append(a.get("value"))
            if "selected" in a:
                self._select[2].append(a.get("value"))
        elif tag == "textarea" and name and "__prefix__" not in name:
            self._textarea = (name, [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, options, selected, multiple = self._select
            values = selected or ([] if multiple else options[:1])
            self.forms[-1]["fields"].extend((name, value or "") for value in values)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            # The parser keeps the newline HTML drops after <textarea>.
            self.forms[-1]["fields"].append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None


def form_fields(body: str, *, containing: str) -> list[tuple[str, str]] | None:
    """The fields of the first form whose HTML contains ``containing``."""
    for start in [m.start() for m in re.finditer(r"<form\b", body)]:
        end = body.find("</form>", start)
        chunk = body[start : end if end != -1 else len(body)]
        if containing in chunk:
            reader = FormReader()
            reader.feed(chunk + "</form>")
            return reader.forms[0]["fields"] if reader.forms else None
    return None


def replace(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    kept = [(name, value) for name, value in fields if name not in values]
    return kept + list(values.items())


def last_message(cookie: str) -> str:
    """The newest message in django.contrib.messages' cookie (signed, not encrypted):
    what the view said had just happened. Older unread messages are in the cookie too."""
    payload = cookie.strip('"').split(":", 1)[0]  # payload:timestamp:signature
    compressed = payload.startswith(".")
    payload = payload.removeprefix(".")
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if compressed:
            raw = zlib.decompress(raw)
        messages = json.loads(raw)
    except (ValueError, zlib.error):
        return ""
    # Each message is ["__json_message", is_safe, level, text, (extra_tags)].
    texts = [m[3] for m in messages if isinstance(m, list) and len(m) > 3]
    return texts[-1] if texts else ""


class Browser:
    """One user's cookies and requests, over plain http on loopback."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.last_set: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        fields: list[tuple[str, str]] | None = None,
        files: list[tuple[str, str, bytes, str]] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        origin = f"http://{HOST}:{self.port}"
        headers = {"Host": f"{HOST}:{self.port}", "User-Agent": "tiantrack-chaos"}
        headers.update(extra_headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            headers["Origin"] = origin
            headers["Referer"] = origin + path
            if files:
                boundary = uuid.uuid4().hex
                parts = []
                for name, value in fields or []:
                    parts.append(
                        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                        + value.encode("utf-8")
                        + b"\r\n"
                    )
                for name, filename, content, ctype in files:
                    parts.append(
                        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                        f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
                        + content
                        + b"\r\n"
                    )
                body = b"".join(parts) + f"--{boundary}--\r\n".encode()
                headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            else:
                body = urlencode(fields or []).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            data = raw.read()
            self.last_set = {}
            for name, value in raw.getheaders():
                if name.lower() != "set-cookie":
                    continue
                key, _, rest = value.partition("=")
                cookie_value, _, attributes = rest.partition(";")
                key = key.strip()
                expired = "max-age=0" in attributes.lower().replace(" ", "")
                if expired or not cookie_value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = cookie_value
                    self.last_set[key] = cookie_value
            return Response(
                raw.status,
                {k.lower(): v for k, v in raw.getheaders()},
                data.decode("utf-8", "replace"),
            )
        finally:
            connection.close()

    def get(self, path: str, **headers: str) -> Response:
        """GET ``path``; ``if_none_match="…"`` becomes the If-None-Match header."""
        extra = {name.replace("_", "-").title(): value for name, value in headers.items()}
        return self.request("GET", path, extra_headers=extra)

    def said(self) -> str:
        """The message the last answer left for the next page, if it set one."""
        return last_message(self.last_set.get("messages", ""))


# ---------------------------------------------------------------------------
# The load: what each user does, and what each request got
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    user: str  # reader, progress-1, heading, import, rating, health
    action: str  # page, form, check, login, progress, heading, import, publish, rating, healthz
    started: float
    ended: float
    status: int | None  # None: no HTTP answer
    error: str = ""  # the exception when there was no answer
    ok: bool = False  # what the user wanted happened
    unavailable_page: bool = False
    refused_with_notice: bool = False  # the import's own "保存失败" answer
    after_lost_answer: bool = False  # writes: posted again after an answer was lost
    already_saved: bool = False  # writes: refused as saved already, after a lost answer
    stale: bool = False  # a page answered 200 without what was just written
    marker: str = ""  # writes: what was written
    acknowledged: bool = False  # writes: the success answer came back

    @property
    def seen(self) -> str:
        """What the user saw, in a word."""
        if self.status is None:
            return f"no answer ({self.error})"
        if self.unavailable_page:
            return "503 page"
        if self.refused_with_notice:
            return "import form redisplayed with 保存失败 (200)"
        if self.stale:
            return f"stale page ({self.status})"
        return f"HTTP {self.status}" + ("" if self.ok else " (not what was asked)")


@dataclass
class Load:
    port: int
    plan: Plan
    run: str
    t0: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)
    probes: list[tuple[float, float, bool, str]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)  # progress note -> PDF sent
    thinking: int = 0  # users with a filled-in form, about to submit it
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def call(self, browser: Browser, user: str, action: str, method: str, path: str, *args):
        """One request; returns (response or None, its Outcome, not yet recorded)."""
        started = self.now()
        try:
            response = browser.request(method, path, *args)
        except OSError as error:
            return None, Outcome(user, action, started, self.now(), None, type(error).__name__)
        outcome = Outcome(
            user,
            action,
            started,
            self.now(),
            response.status,
            unavailable_page=response.unavailable_page,
        )
        return response, outcome

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def pause(self) -> None:
        self.stop.wait(self.plan.pause)


def pdf(note: str) -> bytes:
    """A small PDF of its own for each update, so that each stored file can be checked."""
    return b"%PDF-1.4\n% " + note.encode("utf-8") + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login(load: Load, user: str, username: str, password: str) -> Browser:
    """Logs in through the login page; retries (bounded by the load) while it fails."""
    browser = Browser(load.port)
    while not load.stop.is_set():
        page, outcome = load.call(browser, user, "login", "GET", "/accounts/login/")
        outcome.ok = page is not None and page.status == 200
        load.record(outcome)
        fields = form_fields(page.body, containing="password") if outcome.ok else None
        if fields is not None:
            fields = replace(fields, username=username, password=password, next="/")
            response, outcome = load.call(
                browser, user, "login", "POST", "/accounts/login/", fields
            )
            outcome.ok = response is not None and response.status == 302
            load.record(outcome)
            if outcome.ok:
                return browser
        load.pause()
    return browser


def page_shows(load: Load, user: str, path: str, text: str) -> None:
    """A public read checked by content: 200 and ``text`` in it, or the 503 page."""
    browser = Browser(load.port)  # anonymous, as the public reads it (the page cache too)
    response, outcome = load.call(browser, user, "check", "GET", path)
    if response is not None and response.status == 200:
        outcome.ok = text in response.body
        outcome.stale = not outcome.ok
    load.record(outcome)


def reader(load: Load, pages: list[str]) -> None:
    browser = Browser(load.port)
    index = 0
    while not load.stop.is_set():
        path = pages[index % len(pages)]
        index += 1
        response, outcome = load.call(browser, "reader", "page", "GET", path)
        outcome.ok = response is not None and response.status == 200
        load.record(outcome)
        load.pause()


def open_form(load: Load, browser: Browser, user: str, path: str, containing: str):
    """GETs ``path`` until it answers with the form (bounded by the load); its fields."""
    while not load.stop.is_set():
        page, outcome = load.call(browser, user, "form", "GET", path)
        fields = form_fields(page.body, containing=containing) if page else None
        outcome.ok = page is not None and page.status == 200 and fields is not None
        load.record(outcome)
        if outcome.ok:
            return fields
        load.pause()
    return None


def submit(load, browser, user, action, path, fields, files, marker, *, done, repeated=None):
    """Posts a filled-in form, as a user would after ``think`` seconds; while the site is
    unavailable (the 503 page, no answer, the import's "保存失败"), posts the same form
    again. ``done(response)`` says whether the write was acknowledged. ``repeated``
    says whether an answer means "already saved": acceptable only after an attempt whose
    answer was lost (it may have committed), and then checked in the database.
    Returns whether the write was acknowledged."""
    with load.lock:
        load.thinking += 1
    load.stop.wait(load.plan.think)
    with load.lock:
        load.thinking -= 1
    answer_lost = False
    while not load.stop.is_set():
        response, outcome = load.call(browser, user, action, "POST", path, fields, files)
        outcome.marker = marker
        outcome.after_lost_answer = answer_lost
        if response is not None:
            outcome.acknowledged = outcome.ok = done(response)
            outcome.refused_with_notice = (
                action == "import"
                and response.status == 200
                and IMPORT_FAILED_MARK in response.body
            )
            if not outcome.ok and answer_lost and repeated is not None and repeated(response):
                outcome.ok = outcome.already_saved = True
        load.record(outcome)
        if outcome.ok:
            return outcome.acknowledged
        if response is not None and not (response.unavailable_page or outcome.refused_with_notice):
            return False  # refused for a reason that posting again will not change
        answer_lost = True
        load.stop.wait(load.plan.think)  # then tries again
    return False


def stale_notice(response: Response) -> bool:
    """The form again, saying someone (here: the attempt whose answer was lost) saved first."""
    return response.status == 200 and "已被他人" in response.body


def progress_writer(load: Load, number: int, password: str, item: dict) -> None:
    """Staff posting progress with a PDF on the staff page, then reading it back."""
    user = f"progress-{number}"
    browser = login(load, user, "chaos-office", password)
    path = f"/staff/commitments/{item['id']}/progress/"
    sequence = 0
    while not load.stop.is_set():
        fields = open_form(load, browser, user, path, 'name="version"')
        if fields is None:
            break
        sequence += 1
        note = f"混沌测试 {load.run} 进展{number}-{sequence}"
        content = pdf(note)
        with load.lock:
            load.uploads[note] = content
        # The form's date (today, in the site's time zone) is kept, as a user would.
        fields = replace(fields, status="in_progress", note=note, evidence_url="")
        files = [("attachment", f"证明-{number}-{sequence}.pdf", content, "application/pdf")]
        if submit(
            load, browser, user, "progress", path, fields, files, note,
            done=lambda r: r.status == 302 and "#commitment-" in r.headers.get("location", ""),
            repeated=stale_notice,
        ):  # fmt: skip
            page_shows(load, user, item["page"], note)
            page_shows(load, user, item["json"], note)
        load.pause()


def heading_editor(load: Load, password: str, item: dict) -> None:
    """The office editing a commitment's heading in the admin's change form."""
    user = "heading"
    browser = login(load, user, "chaos-office", password)
    path = f"/admin/replies/commitmentitem/{item['id']}/change/"
    changelist = "/admin/replies/commitmentitem/"
    sequence = 0
    while not load.stop.is_set():
        fields = open_form(load, browser, user, path, 'name="loaded_version"')
        if fields is None:
            break
        sequence += 1
        heading = f"关于混沌测试 {load.run} 第{sequence}次修改"
        fields = replace(fields, heading=heading, _save="保存")
        if submit(
            load, browser, user, "heading", path, fields, [], heading,
            done=lambda r: r.status == 302
            and urlsplit(r.headers.get("location", "")).path == changelist,
            repeated=stale_notice,
        ):  # fmt: skip
            page_shows(load, user, item["page"], html.escape(heading))
        load.pause()


def importer(load: Load, password: str, letter: str) -> None:
    """The office importing a letter as a draft (paste → preview → save) and publishing
    it with the reply changelist's action."""
    user = "import"
    browser = login(load, user, "chaos-office", password)
    path = "/admin/replies/reply/import/"
    saved_reply = re.compile(r"/admin/replies/reply/(\d+)/change/")
    replies: list[int] = []  # each import's reply, read from the redirect after saving

    def saved(response: Response) -> bool:
        where = urlsplit(response.headers.get("location", "")).path
        found = saved_reply.fullmatch(where) if response.status == 302 else None
        if found:
            replies.append(int(found.group(1)))
        return found is not None

    sequence = 0
    while not load.stop.is_set():
        fields = open_form(load, browser, user, path, 'name="preview"')
        if fields is None:
            break
        fields = [(k, v) for k, v in fields if k != "publish"]  # a draft first
        fields = replace(fields, text=letter, preview="解析并预览")
        preview, outcome = load.call(browser, user, "form", "POST", path, fields, [])
        fields = form_fields(preview.body, containing='name="save"') if preview else None
        outcome.ok = preview is not None and preview.status == 200 and fields is not None
        load.record(outcome)
        if not outcome.ok:
            load.pause()
            continue
        sequence += 1
        number = f"C{load.run[-6:]}-{sequence}"
        fields = replace(fields, proposal_number=number, save="确认保存")
        if not submit(load, browser, user, "import", path, fields, [], number, done=saved):
            continue
        # Publish it, as the office does: select it in the changelist, run the action.
        listing = "/admin/replies/reply/"
        fields = open_form(load, browser, user, listing, 'name="action"')
        if fields is None:
            break
        action = [
            ("csrfmiddlewaretoken", dict(fields)["csrfmiddlewaretoken"]),
            ("action", "publish"),
            ("select_across", "0"),
            ("index", "0"),
            ("_selected_action", str(replies[-1])),
        ]
        submit(
            load, browser, user, "publish", listing, action, [], str(replies[-1]),
            done=lambda r: r.status == 302 and "已公开 1 件答复" in browser.said(),
            repeated=lambda r: r.status == 302 and "已公开 0 件答复" in browser.said(),
        )  # fmt: skip
        load.pause()


def rater(load: Load, password: str, reply: int) -> None:
    """A member rating their own published reply."""
    user = "rating"
    browser = login(load, user, "chaos-member", password)
    path = f"/me/replies/{reply}/rate/"
    sequence = 0
    while not load.stop.is_set():
        fields = open_form(load, browser, user, "/me/", f'action="{path}"')
        if fields is None:
            break
        sequence += 1
        comment = f"混沌测试 {load.run} 评价{sequence}"
        choice = "satisfied" if sequence % 2 else "basically"
        fields = replace(fields, satisfaction=choice, comment=comment)
        submit(
            load, browser, user, "rating", path, fields, None, comment,
            done=lambda r: r.status == 302 and "感谢您的评价" in browser.said(),
        )  # fmt: skip
        load.pause()


def health(load: Load) -> None:
    browser = Browser(load.port)
    while not load.stop.is_set():
        response, outcome = load.call(browser, "health", "healthz", "GET", "/healthz")
        outcome.ok = response is not None and response.status == 200
        load.record(outcome)
        load.stop.wait(0.25)


def refusal(message: str) -> str:
    """Why PostgreSQL refused a connection, in a few words."""
    for needle, words in (
        ("Connection refused", "connection refused"),
        ("starting up", "starting up"),
        ("not yet accepting", "recovering"),
        ("shutting down", "shutting down"),
        ("timeout", "timed out"),
    ):
        if needle in message:
            return words
    return message.strip().splitlines()[-1][:60] if message.strip() else "error"


def database_probe(load: Load, cluster: Cluster) -> None:
    """Whether PostgreSQL itself accepts a connection, ten times a second."""
    while not load.stop.is_set():
        started = load.now()
        try:
            with psycopg.connect(cluster.url(DB_NAME), connect_timeout=1) as conn:
                conn.execute("SELECT 1")
            ok, detail = True, "ok"
        except psycopg.Error as error:
            ok, detail = False, refusal(str(error))
        with load.lock:
            load.probes.append((started, load.now(), ok, detail))
        load.stop.wait(0.1)


# ---------------------------------------------------------------------------
# What the database holds afterwards
# ---------------------------------------------------------------------------


def stored(cluster: Cluster, run: str, media: Path) -> dict[str, list]:
    like = f"%{run}%"
    with psycopg.connect(cluster.url(DB_NAME)) as conn:
        updates = conn.execute(
            "SELECT note, attachment FROM replies_commitmentupdate WHERE note LIKE %s", [like]
        ).fetchall()
        headings = conn.execute(
            "SELECT DISTINCT heading FROM replies_historicalcommitmentitem WHERE heading LIKE %s",
            [like],
        ).fetchall()
        imports = conn.execute(
            "SELECT p.number FROM proposals_proposal p JOIN replies_reply r"
            " ON r.proposal_id = p.id WHERE p.number LIKE %s",
            [f"C{run[-6:]}-%"],
        ).fetchall()
        published = conn.execute(
            "SELECT id FROM replies_reply WHERE published_at IS NOT NULL"
            " AND proposal_id IN (SELECT id FROM proposals_proposal WHERE number LIKE %s)",
            [f"C{run[-6:]}-%"],
        ).fetchall()
        ratings = conn.execute(
            "SELECT DISTINCT satisfaction_comment FROM replies_historicalreply"
            " WHERE satisfaction_comment LIKE %s",
            [like],
        ).fetchall()
    files = {}
    for note, attachment in updates:
        try:
            files[note] = (media / attachment).read_bytes() if attachment else None
        except OSError:
            files[note] = None
    return {
        "progress": [note for note, _ in updates],
        "files": files,
        "heading": [row[0] for row in headings],
        "import": [row[0] for row in imports],
        "publish": [str(row[0]) for row in published],
        "rating": [row[0] for row in ratings],
    }


# ---------------------------------------------------------------------------
# The run and the report
# ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the bounded version CI runs")
    parser.add_argument(
        "--no-outage",
        action="store_true",
        help="the same load without the crash: must fail, since no outage is observed",
    )
    parser.add_argument(
        "--postgres-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server setting for the throwaway cluster (fsync=off must fail)",
    )
    parser.add_argument(
        "--app-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of the app's own connections, in DATABASE_URL's options "
        "(synchronous_commit=off must fail)",
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    samples = Path(os.environ.get("SAMPLES_DIR") or ROOT.parent / "shared" / "samples")
    if not (samples / "letters").is_dir():
        raise SystemExit(f"sample letters not found at {samples / 'letters'} (set SAMPLES_DIR)")
    if not (PG_BIN / "initdb").is_file():
        raise SystemExit(f"PostgreSQL's server binaries not found in {PG_BIN} (set CHAOS_PG_BIN)")

    run = datetime.datetime.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    work = Path(tempfile.mkdtemp(prefix="tiantrack-chaos-"))
    work.chmod(0o711)  # the server's user (as root: postgres) must reach its folder
    (work / "pg").mkdir()
    logs, media = work / "logs", work / "media"
    logs.mkdir()
    pg_port = int(os.environ.get("CHAOS_PG_PORT") or spare_port())
    if pg_port == 5432:
        raise SystemExit("CHAOS_PG_PORT=5432 is the shared cluster's port: choose another")
    web_port = int(os.environ.get("CHAOS_PORT") or spare_port())
    cluster = Cluster(work / "pg", pg_port, args.postgres_setting)
    database_url = cluster.url(DB_NAME)
    if args.app_setting:
        options = " ".join(f"-c {setting}" for setting in args.app_setting)
        database_url += "?" + urlencode({"options": options})
    env = django_env(database_url, media)
    mode = "without an outage (--no-outage)" if args.no_outage else "with a crash"
    print(
        f"chaos run {run} {mode}: PostgreSQL {PG_BIN.parent.name} throwaway cluster on "
        f"{HOST}:{pg_port}, gunicorn on {HOST}:{web_port}, files in {work}",
        flush=True,
    )
    server = None
    data = None
    try:
        cluster.initdb()
        cluster.start()
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        settings = durability(env)
        print(
            "the app's connections: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
            flush=True,
        )
        unsafe = [name for name, value in settings.items() if value == "off"]
        if unsafe:
            print(
                f"FAIL: {', '.join(unsafe)} off for the app's connections: a commit the site "
                "acknowledged could be lost in a crash",
                flush=True,
            )
            return 1
        t = time.monotonic()
        password, seeded = prepare(env, plan, samples)
        print(f"prepared in {time.monotonic() - t:.1f} s", flush=True)
        server = start_gunicorn(env, web_port, logs)
        letter = (sorted((samples / "letters").glob("*.txt"))[0]).read_text(encoding="utf-8")
        load = Load(web_port, plan, run)
        before = worker_pids(server.pid)
        timeline = drive(load, cluster, seeded, password, letter, outage=not args.no_outage)
        workers = (before, worker_pids(server.pid))
        stop_process(server)
        try:
            data = stored(cluster, run, media)
        except psycopg.Error as error:
            print(f"the database could not be read afterwards: {error}", flush=True)
    finally:
        if server is not None:
            stop_process(server)
        cluster.stop()
        shutil.rmtree(cluster.data, ignore_errors=True)
    return report(load, timeline, data, workers, run, work, outage=not args.no_outage)


def drive(load, cluster, seeded, password, letter, *, outage: bool) -> dict[str, float]:
    """The load, with the crash in the middle; returns when each phase began."""
    plan = load.plan
    items = seeded["progress"]
    pages = ["/", "/proposals/?q=%E7%A7%91%E6%8A%80", "/commitments/"]
    pages += [item["page"] for item in items] + [seeded["heading"]["page"]]
    threads = [threading.Thread(target=reader, args=(load, pages)) for _ in range(2)]
    threads += [
        threading.Thread(target=progress_writer, args=(load, number, password, item))
        for number, item in enumerate(items, start=1)
    ]
    threads += [
        threading.Thread(target=heading_editor, args=(load, password, seeded["heading"])),
        threading.Thread(target=importer, args=(load, password, letter)),
        threading.Thread(target=rater, args=(load, password, seeded["rating"])),
        threading.Thread(target=health, args=(load,)),
        threading.Thread(target=database_probe, args=(load, cluster)),
    ]
    timeline: dict[str, float] = {}
    for thread in threads:
        thread.daemon = True
        thread.start()
    try:
        # Every kind of write is acknowledged once (the workers are warm) before the clock
        # of the first phase starts.
        writes = {"progress", "heading", "publish", "rating"}
        deadline = load.now() + 60
        while load.now() < deadline:
            with load.lock:
                done = {o.action for o in load.outcomes if o.acknowledged}
            if writes <= done:
                break
            load.stop.wait(0.2)
        timeline["warm"] = load.now()
        print(f"+{timeline['warm']:.2f}s every kind of write acknowledged once", flush=True)
        load.stop.wait(plan.before)
        # The crash comes while someone is about to submit a form, so that writes meet it.
        deadline = load.now() + 5
        while load.thinking == 0 and load.now() < deadline:
            load.stop.wait(0.02)
        if outage:
            timeline["crash"] = load.now()
            postmaster, others = cluster.crash()
            timeline["dead"] = load.now()
            print(
                f"+{timeline['crash']:.2f}s SIGKILL to the postmaster (pid {postmaster}) and "
                f"{others} other server processes; all gone at +{timeline['dead']:.2f}s",
                flush=True,
            )
            load.stop.wait(max(0.0, plan.outage - (load.now() - timeline["crash"])))
            timeline["restart"] = load.now()
            cluster.start()
            timeline["accepting"] = load.now()
            print(
                f"+{timeline['restart']:.2f}s postgres started again; accepting connections "
                f"at +{timeline['accepting']:.2f}s (crash recovery)",
                flush=True,
            )
        else:
            load.stop.wait(plan.outage)
            timeline["restart"] = load.now()  # the moment the restart would have been
            print(f"+{load.now():.2f}s (no outage: the server is left alone)", flush=True)
        # Go on until every user has had a quiet spell: no failure for plan.quiet seconds.
        while load.now() < plan.limit:
            with load.lock:
                failures = [o.ended for o in load.outcomes if not o.ok]
            if load.now() - max([timeline["restart"], *failures]) >= plan.quiet:
                break
            load.stop.wait(0.5)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)
    timeline["end"] = load.now()
    return timeline


def tally(items) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


WRITES = ["progress", "heading", "import", "publish", "rating"]
# What a user may see while the database is down, and no more than this.
EXPECTED_DURING_OUTAGE = {
    "503 page",
    "import form redisplayed with 保存失败 (200)",
    "/healthz 503 (plain text, for the load balancer)",
}


def report(load, timeline, data, workers, run, work, *, outage: bool) -> int:
    """Prints the figures; returns the exit status (1 with every reason it failed)."""
    problems: list[str] = []
    outcomes = sorted(load.outcomes, key=lambda o: o.started)
    probes = sorted(load.probes)
    crash, restart = timeline.get("crash"), timeline["restart"]
    accepting = timeline.get("accepting", restart)
    print()
    print("== make chaos report " + "=" * 58)
    print(
        f"run {run}: gunicorn ({WORKERS} workers) with production settings (DEBUG off) on "
        "plain http, a throwaway PostgreSQL cluster"
    )
    print(
        f"load: {load.now():.1f} s — 2 readers; 2 staff posting progress with a PDF; the office "
        "editing a heading in the admin, importing letters (paste → preview → save) and "
        "publishing them from the changelist; a member rating their reply"
    )
    print(f"requests: {len(outcomes)} ({tally(o.action for o in outcomes)})")

    # The outage, as a fresh connection to PostgreSQL met it.
    refused = [p for p in probes if not p[2]]
    measured = None
    if outage:
        print(
            f"crash: SIGKILL at +{crash:.2f}s, postgres started again at +{restart:.2f}s "
            f"({restart - crash:.2f} s later), accepting connections at +{accepting:.2f}s"
        )
    else:
        print("no crash (--no-outage): the same load, PostgreSQL left alone")
    if refused:
        back = min((p[1] for p in probes if p[2] and p[0] > refused[-1][0]), default=None)
        if back is not None:
            measured = back - refused[0][0]
            print(
                f"PostgreSQL refused connections for {measured:.2f} s (+{refused[0][0]:.2f}s to "
                f"+{back:.2f}s; {len(refused)} of {len(probes)} probes: {tally(p[3] for p in refused)})"
            )
        else:
            print("PostgreSQL refused connections and never accepted them again")
            problems.append("PostgreSQL never accepted connections again")
    else:
        print(f"PostgreSQL never refused a connection ({len(probes)} probes, 10 a second)")
        problems.append("no outage observed: PostgreSQL never refused a connection")
    if measured is not None and measured < MIN_OUTAGE:
        problems.append(f"the outage lasted {measured:.2f} s, less than {MIN_OUTAGE:.0f} s")

    # What users saw: from the crash until the database accepted connections again, plus
    # what was in flight then.
    window_end = accepting + 2.0

    def in_window(o) -> bool:
        return crash is not None and o.ended >= crash and o.started <= window_end

    failures = [o for o in outcomes if not o.ok]
    during = [o for o in failures if in_window(o)]
    outside = [o for o in failures if not in_window(o)]

    def seen(o) -> str:
        if o.action == "healthz" and o.status == 503:
            return "/healthz 503 (plain text, for the load balancer)"
        return o.seen

    saw = [seen(o) for o in during]
    print(
        f"what users saw during the outage ({sum(1 for o in outcomes if in_window(o))} requests, "
        f"{len(during)} failed): {tally(saw) or 'nothing failed'}"
    )
    if "503 page" not in saw:
        problems.append("no user met an outage: no request got the 503 page")
    unexpected = [label for label in saw if label not in EXPECTED_DURING_OUTAGE]
    if unexpected:
        problems.append(f"during the outage users got other than the 503 page: {tally(unexpected)}")
    if outage:

        def first(actions) -> float | None:
            after = [
                o.ended for o in outcomes if o.ok and o.action in actions and o.started >= restart
            ]
            return min(after, default=None)

        pages, writes = first({"page", "check"}), first(set(WRITES))
        print(
            f"recovery after the restart: PostgreSQL accepting in {accepting - restart:.2f} s "
            "(crash recovery), pages answering 200 in "
            + (f"{pages - restart:.2f} s" if pages is not None else "never")
            + ", first acknowledged write in "
            + (f"{writes - restart:.2f} s" if writes is not None else "never")
        )
        if pages is None or writes is None:
            problems.append("the site did not recover after the restart")
    same = bool(workers[0]) and workers[0] == workers[1]
    print(
        f"gunicorn workers: {len(workers[0])} before, {len(workers[1])} after, "
        + ("the same processes" if same else "replaced")
        + (" (they reconnected by themselves)" if same and outage else "")
    )
    print(
        f"failures outside the outage: {len(outside)}"
        + (f" ({tally(f'{o.action} {o.seen}' for o in outside)})" if outside else "")
    )
    if outside:
        problems.append(f"{len(outside)} requests failed outside the outage")
    checks = [o for o in outcomes if o.action == "check"]
    stale = [o for o in checks if o.stale]
    print(
        "reads checked by content (the proposal page and its JSON show the note just written; "
        f"the page, the new heading): {sum(o.ok for o in checks)} showed it, {len(stale)} stale, "
        f"{sum(o.unavailable_page for o in checks)} got the 503 page"
    )
    if stale:
        problems.append(f"{len(stale)} pages answered 200 without what had just been written")

    # Acknowledged writes, each looked up in the database.
    if data is None:
        problems.append("the database could not be read afterwards")
        data = {kind: [] for kind in WRITES} | {"files": {}}
    print("acknowledged writes (2xx/302 after the commit), each looked up in the database:")
    phases = {
        "before the crash": lambda o: o.ended < crash,
        "in flight at the crash": lambda o: o.started < crash <= o.ended,
        "after the restart": lambda o: o.started >= crash,
    }
    lost_total = 0
    for kind in WRITES:
        posts = [o for o in outcomes if o.action == kind]
        acked = [o for o in posts if o.acknowledged]
        markers = {o.marker for o in acked}
        # Refused as saved already, after an attempt whose answer was lost: it committed.
        already = {o.marker for o in posts if o.already_saved}
        held = data[kind]
        lost = sorted(markers - set(held))
        not_there = sorted(already - set(held))
        twice = sorted({m for m in held if held.count(m) > 1})
        unacked = set(held) - markers
        files = [
            m
            for m in markers | already
            if kind == "progress" and data["files"].get(m) != load.uploads[m]
        ]
        lost_total += len(lost)
        split = (
            ", ".join(f"{name} {sum(1 for o in acked if test(o))}" for name, test in phases.items())
            if outage
            else "no outage"
        )
        print(
            f"  {kind:8} {len(posts):3} posts ({sum(o.unavailable_page for o in posts)} got the "
            f"503 page), {len(markers):3} acknowledged ({split}); lost {len(lost)}"
            + (f", stored twice {len(twice)}" if twice else "")
            + (f", evidence file missing or different {len(files)}" if files else "")
            + f"; stored without an acknowledgement {len(unacked)}"
            + (f" ({len(already)} refused as saved already when posted again)" if already else "")
        )
        if not markers:
            problems.append(f"no {kind} write was acknowledged: the load did not exercise it")
        if lost:
            problems.append(f"{len(lost)} acknowledged {kind} writes lost: {lost[:3]}")
        if not_there:
            problems.append(f"{len(not_there)} {kind} writes refused as saved are not stored")
        if twice:
            problems.append(f"{len(twice)} {kind} writes stored twice")
        if files:
            problems.append(f"{len(files)} evidence files missing or different")
    print(f"acknowledged writes lost: {lost_total}")
    if outage:
        acked = [o for o in outcomes if o.acknowledged]
        if not any(o.ended < crash for o in acked) or not any(o.started > crash for o in acked):
            problems.append("writes were not acknowledged both before the crash and after it")
        if not any(o.unavailable_page for o in outcomes if o.action in WRITES):
            problems.append("no write met the outage: none was answered with the 503 page")
    print(f"logs: {work / 'logs'}, {work / 'pg' / 'postgres.log'}")
    print("=" * 79)
    for problem in problems:
        print(f"FAIL: {problem}")
    print("FAIL" if problems else "PASS: no acknowledged write lost; users saw the 503 page")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
