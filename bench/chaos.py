"""`make chaos`: production settings under load while PostgreSQL restarts.

    python bench/chaos.py

1. Prepares its own database (tiantrack_chaos): migrations, the sample letters, a staff
   user of the proposal office.
2. Starts gunicorn with production settings (debug off, https behind a proxy: requests
   carry X-Forwarded-Proto as the proxy would send it) on 127.0.0.1.
3. Runs a bounded load through the real views: readers on the public pages, staff writers
   posting progress on commitments (each writer its own commitment, reading the form for
   the current version first, as a browser would).
4. Restarts PostgreSQL in the middle (pg_ctlcluster ... restart, a few seconds), and keeps
   the load going until the site has been answering again for a while.
5. Reports the errors during the outage, the seconds until requests succeed again, and
   whether every write acknowledged with a success response (the redirect after saving)
   is in the database afterwards. Exit status 1 if one is missing or the site never
   recovered.

Everything stays on this machine (127.0.0.1) and every loop is bounded in time and count.
The workers are never restarted: they must reconnect by themselves (CONN_HEALTH_CHECKS).

Environment: CHAOS_DB (tiantrack_chaos), CHAOS_PORT (8779), CHAOS_PG_URL
(postgres://postgres@127.0.0.1:5432), CHAOS_PG_RESTART (the restart command; by default
pg_ctlcluster for the first cluster in /etc/postgresql), SAMPLES_DIR.
"""

import datetime
import html
import http.client
import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB_NAME = os.environ.get("CHAOS_DB", "tiantrack_chaos")
PG_URL = os.environ.get("CHAOS_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PORT = int(os.environ.get("CHAOS_PORT", "8779"))
HOST = "127.0.0.1"
WORKERS = 3
READERS = 4
WRITERS = 3

# Bounds: the load runs BEFORE seconds, then PostgreSQL restarts, then the load goes on
# until AFTER seconds of the site answering again, and never longer than MAX_SECONDS in
# all nor more than MAX_REQUESTS requests. Each client pauses PAUSE seconds between
# requests (the outage makes requests fail fast; this keeps them from spinning).
BEFORE = 6.0
AFTER = 8.0
MAX_SECONDS = 60.0
MAX_REQUESTS = 20_000
PAUSE = 0.02
REQUEST_TIMEOUT = 15


def default_restart_command() -> list[str]:
    versions = sorted(Path("/etc/postgresql").glob("*/main"), key=lambda p: p.parent.name)
    version = versions[0].parent.name if versions else "15"
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]


RESTART = (
    shlex.split(os.environ["CHAOS_PG_RESTART"])
    if os.environ.get("CHAOS_PG_RESTART")
    else default_restart_command()
)


def django_env(media: str) -> dict[str, str]:
    """Production settings, as docker-compose.yml sets them, for a loopback run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"{PG_URL}/{DB_NAME}",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_PROXY_SSL_HEADER="1",
        DJANGO_SECURE_HSTS_SECONDS="31536000",
        DJANGO_MEDIA_ROOT=media,
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


# ---------------------------------------------------------------------------
# Preparing the database and the server
# ---------------------------------------------------------------------------

SEED_CODE = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from replies.models import CommitmentItem
from core.roles import OFFICE, ensure_roles
ensure_roles()
user, _ = get_user_model().objects.get_or_create(username="chaos-staff", defaults={"is_staff": True})
user.is_staff = True
user.set_password(PASSWORD)
user.save()
user.groups.add(Group.objects.get(name=OFFICE))
items = CommitmentItem.objects.public().select_related("reply__proposal__session__committee")
items = list(items.order_by("pk")[:WRITERS])
print(json.dumps({
    "commitments": [item.pk for item in items],
    "pages": sorted({item.reply.proposal.get_absolute_url() for item in items}),
}))
"""


def prepare(env: dict[str, str]) -> tuple[str, dict]:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def manage(*args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if result.returncode:
            sys.exit(f"manage.py {' '.join(args[:2])} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    samples = Path(env.get("SAMPLES_DIR", ROOT.parent / "shared" / "samples")) / "letters"
    if not samples.is_dir():
        sys.exit(f"sample letters not found at {samples} (set SAMPLES_DIR)")
    manage("import_letters", str(samples))
    password = secrets.token_urlsafe(16)
    code = f"PASSWORD = {password!r}\nWRITERS = {WRITERS}\n" + SEED_CODE
    seeded = json.loads(manage("shell", "-c", code).strip().splitlines()[-1])
    if len(seeded["commitments"]) < WRITERS:
        sys.exit("not enough public commitments in the sample letters")
    return password, seeded


def start_gunicorn(env: dict[str, str], logs: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(WORKERS),
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
            sys.exit(f"gunicorn exited; see {logs / 'error.log'}")
        try:
            if request("GET", "/healthz").status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop(process)
    sys.exit(f"gunicorn did not answer on /healthz; see {logs / 'error.log'}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def worker_pids(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return sorted(int(pid) for pid in children)


# ---------------------------------------------------------------------------
# HTTP, as a browser behind the TLS proxy would speak it
# ---------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: str


def request(
    method: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    headers = {
        "Host": HOST,
        # What the TLS proxy adds: the request came in over https.
        "X-Forwarded-Proto": "https",
        "User-Agent": "tiantrack-chaos",
    }
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = f"https://{HOST}"
        headers["Referer"] = f"https://{HOST}{path}"
    connection = http.client.HTTPConnection(HOST, PORT, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        raw = connection.getresponse()
        data = raw.read()
        set_cookies = {}
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                set_cookies[key.strip()] = rest.split(";", 1)[0]
        return Response(
            raw.status,
            {k.lower(): v for k, v in raw.getheaders()},
            set_cookies,
            data.decode("utf-8", "replace"),
        )
    finally:
        connection.close()


def hidden(body: str, name: str) -> str | None:
    match = re.search(rf'name="{name}" value="([^"]*)"', body)
    return html.unescape(match.group(1)) if match else None


def login(password: str) -> dict[str, str]:
    page = request("GET", "/accounts/login/")
    cookies = dict(page.cookies)
    response = request(
        "POST",
        "/accounts/login/",
        cookies=cookies,
        form={
            "username": "chaos-staff",
            "password": password,
            "csrfmiddlewaretoken": hidden(page.body, "csrfmiddlewaretoken") or "",
            "next": "/",
        },
    )
    if response.status != 302 or "sessionid" not in response.cookies:
        sys.exit(f"staff login failed: HTTP {response.status}")
    cookies.update(response.cookies)
    return cookies


# ---------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # "read" | "write" | "health"
    started: float
    ended: float
    ok: bool
    detail: str  # status code or exception name
    note: str = ""  # writes: the note posted
    acknowledged: bool = False  # writes: the success redirect came back
    refused: bool = False  # writes: refused as stale (someone else saved first)


@dataclass
class Load:
    t0: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)
    probes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            if len(self.outcomes) >= MAX_REQUESTS:
                self.stop.set()


def reader(load: Load, pages: list[str]) -> None:
    index = 0
    while not load.stop.is_set():
        path = pages[index % len(pages)]
        index += 1
        started = load.now()
        try:
            status = request("GET", path).status
            load.record(Outcome("read", started, load.now(), status == 200, str(status)))
        except OSError as error:
            load.record(Outcome("read", started, load.now(), False, type(error).__name__))
        load.stop.wait(PAUSE)


def writer(load: Load, password: str, commitment: int, run_id: str, number: int) -> None:
    cookies = login(password)
    path = f"/staff/commitments/{commitment}/progress/"
    sequence = 0
    while not load.stop.is_set():
        started = load.now()
        try:
            form_page = request("GET", path, cookies=cookies)
        except OSError as error:
            load.record(Outcome("write", started, load.now(), False, type(error).__name__))
            load.stop.wait(PAUSE)
            continue
        version = hidden(form_page.body, "version")
        token = hidden(form_page.body, "csrfmiddlewaretoken")
        if form_page.status != 200 or version is None or token is None:
            load.record(Outcome("write", started, load.now(), False, f"form {form_page.status}"))
            load.stop.wait(PAUSE)
            continue
        cookies.update(form_page.cookies)
        sequence += 1
        note = f"chaos {run_id} w{number} #{sequence}"
        outcome = Outcome("write", started, 0.0, False, "", note=note)
        try:
            response = request(
                "POST",
                path,
                cookies=cookies,
                form={
                    "csrfmiddlewaretoken": token,
                    "version": version,
                    "date": datetime.date.today().isoformat(),
                    "status": "in_progress",
                    "note": note,
                },
            )
            cookies.update(response.cookies)
            outcome.detail = str(response.status)
            # Success is the redirect to the commitment; the form again means refused.
            location = response.headers.get("location", "")
            outcome.acknowledged = response.status == 302 and "#commitment-" in location
            outcome.refused = response.status == 200 and "已被他人" in response.body
            outcome.ok = outcome.acknowledged or outcome.refused
        except OSError as error:
            outcome.detail = type(error).__name__
        outcome.ended = load.now()
        load.record(outcome)
        load.stop.wait(PAUSE)


def health(load: Load) -> None:
    while not load.stop.is_set():
        started = load.now()
        try:
            status = request("GET", "/healthz").status
            load.record(Outcome("health", started, load.now(), status == 200, str(status)))
        except OSError as error:
            load.record(Outcome("health", started, load.now(), False, type(error).__name__))
        load.stop.wait(0.25)


def database_probe(load: Load) -> None:
    """When PostgreSQL itself refuses: a fresh connection and SELECT 1, ten times a second."""
    import psycopg

    while not load.stop.is_set():
        started = load.now()
        try:
            with psycopg.connect(f"{PG_URL}/{DB_NAME}", connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            ok, detail = True, "ok"
        except psycopg.Error as error:
            ok, detail = False, type(error).__name__
        with load.lock:
            load.probes.append(Outcome("database", started, load.now(), ok, detail))
        load.stop.wait(0.1)


def stored_notes(run_id: str) -> list[str]:
    import psycopg

    with psycopg.connect(f"{PG_URL}/{DB_NAME}") as conn:
        rows = conn.execute(
            "SELECT note FROM replies_commitmentupdate WHERE note LIKE %s",
            [f"chaos {run_id} %"],
        ).fetchall()
    return [row[0] for row in rows]


# ---------------------------------------------------------------------------
# The run and the report
# ---------------------------------------------------------------------------


def main() -> int:
    run_id = datetime.datetime.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    logs = Path(tempfile.mkdtemp(prefix="tiantrack-chaos-"))
    env = django_env(media=str(logs / "media"))
    print(f"chaos run {run_id}: database {DB_NAME}, gunicorn on {HOST}:{PORT}, logs in {logs}")
    password, seeded = prepare(env)
    server = start_gunicorn(env, logs)
    workers_before = worker_pids(server.pid)
    restart: dict[str, float] = {}
    try:
        load = Load()
        pages = ["/", "/proposals/?q=" + "%E7%A7%91%E6%8A%80", "/commitments/", *seeded["pages"]]
        threads = [threading.Thread(target=reader, args=(load, pages)) for _ in range(READERS)]
        threads += [
            threading.Thread(target=writer, args=(load, password, commitment, run_id, number))
            for number, commitment in enumerate(seeded["commitments"], start=1)
        ]
        threads.append(threading.Thread(target=health, args=(load,)))
        threads.append(threading.Thread(target=database_probe, args=(load,)))
        for thread in threads:
            thread.daemon = True
            thread.start()
        load.stop.wait(BEFORE)
        if not load.stop.is_set():
            print(f"+{load.now():.1f}s restarting PostgreSQL: {' '.join(RESTART)}", flush=True)
            restart["start"] = load.now()
            result = subprocess.run(RESTART, capture_output=True, text=True, timeout=120)
            restart["end"] = load.now()
            if result.returncode:
                print(f"restart command failed: {result.stderr.strip()}", file=sys.stderr)
            print(f"+{load.now():.1f}s restart command finished", flush=True)
        # Keep going until the site has answered for AFTER seconds without a failure.
        while not load.stop.is_set() and load.now() < MAX_SECONDS:
            with load.lock:
                failures = [o.ended for o in load.outcomes if not o.ok]
            quiet_since = max([restart.get("end", 0.0), *failures])
            if load.now() - quiet_since >= AFTER:
                break
            load.stop.wait(0.5)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)
        workers_after = worker_pids(server.pid)
    finally:
        stop(server)
    return report(load, restart, run_id, workers_before, workers_after, logs)


def report(load, restart, run_id, workers_before, workers_after, logs) -> int:
    outcomes = sorted(load.outcomes, key=lambda o: o.started)
    start, end = restart.get("start"), restart.get("end")
    failures = [o for o in outcomes if not o.ok]
    during = [o for o in failures if start is not None and o.ended >= start]
    outside = [o for o in failures if o not in during]
    last_failure = max((o.started for o in during), default=None)
    recovered_at = None
    if start is not None:
        after = last_failure if last_failure is not None else start
        recovered_at = min(
            (o.ended for o in outcomes if o.ok and o.kind != "health" and o.started >= after),
            default=None,
        )
    writes = [o for o in outcomes if o.kind == "write" and o.note]
    acknowledged = {o.note for o in writes if o.acknowledged}
    stored = stored_notes(run_id)
    lost = sorted(acknowledged - set(stored))
    duplicated = sorted({note for note in stored if stored.count(note) > 1})
    unacknowledged_stored = sorted(set(stored) - acknowledged)

    def count(kind, items):
        return sum(1 for o in items if o.kind == kind)

    def window(phase):
        return [o for o in outcomes if o.kind != "health" and phase(o)]

    print()
    print("== make chaos report " + "=" * 50)
    print(f"run {run_id}: {WORKERS} gunicorn workers, production settings, {HOST}:{PORT}")
    print(f"load: {READERS} readers, {WRITERS} staff writers, {load.now():.1f} s")
    reads, writes_all = count("read", outcomes), count("write", outcomes)
    print(
        f"requests: {reads} reads, {writes_all} write attempts, {count('health', outcomes)} /healthz"
    )
    if start is not None:
        before = window(lambda o: o.ended < start)
        print(
            f"before the restart: {len(before)} requests, "
            f"{sum(1 for o in before if not o.ok)} errors"
        )
        print(f"restart command: +{start:.2f}s to +{end:.2f}s ({end - start:.2f} s)")
        probe_failures = [o for o in load.probes if not o.ok and o.ended >= start]
        if probe_failures:
            down = min(o.started for o in probe_failures)
            up = min(
                (
                    o.ended
                    for o in load.probes
                    if o.ok and o.started > max(r.started for r in probe_failures)
                ),
                default=None,
            )
            if up is not None:
                print(
                    f"PostgreSQL refused connections from about +{down:.2f}s to +{up:.2f}s "
                    f"({up - down:.2f} s)"
                )
                end = up
        details = {}
        for o in during:
            details[o.detail] = details.get(o.detail, 0) + 1
        print(
            f"errors during the outage: {len(during)} "
            f"({count('read', during)} reads, {count('write', during)} writes, "
            f"{count('health', during)} /healthz)"
            + (
                f" — {', '.join(f'{k}: {v}' for k, v in sorted(details.items()))}"
                if details
                else ""
            )
        )
        if last_failure is not None:
            first = min(o.started for o in during)
            print(f"failing requests started between +{first:.2f}s and +{last_failure:.2f}s")
        health_down = [o for o in during if o.kind == "health"]
        if health_down:
            print(
                f"/healthz answered non-200 from +{min(o.started for o in health_down):.2f}s "
                f"to +{max(o.ended for o in health_down):.2f}s"
            )
        if recovered_at is not None:
            print(
                f"requests succeed again {recovered_at - start:.2f} s after the restart began "
                f"({max(0.0, recovered_at - end):.2f} s after PostgreSQL accepted connections)"
            )
        else:
            print("requests never succeeded again")
        after = window(lambda o: o.started >= (recovered_at or float("inf")))
        print(f"after recovery: {len(after)} requests, {sum(1 for o in after if not o.ok)} errors")
    print(f"errors outside the outage: {len(outside)}")
    refused = sum(1 for o in writes if o.refused)
    if start is not None:
        phases = {
            "before": [o for o in writes if o.acknowledged and o.ended < start],
            "during": [
                o for o in writes if o.acknowledged and o.ended >= start and o.started <= end
            ],
            "after": [o for o in writes if o.acknowledged and o.started > end],
        }
        print(
            "acknowledged writes by phase: "
            + ", ".join(f"{name} {len(items)}" for name, items in phases.items())
            + " (each checked below)"
        )
    print(
        f"writes: {len(acknowledged)} acknowledged (302), {refused} refused as stale, "
        f"{sum(1 for o in writes if not o.ok)} failed"
    )
    print(
        f"in the database afterwards: {len(stored)} of this run's updates; "
        f"{len(unacknowledged_stored)} stored without an acknowledgement (failed in flight)"
    )
    print(f"acknowledged writes lost: {len(lost)}" + (f" {lost[:10]}" if lost else ""))
    if duplicated:
        print(f"updates stored twice: {duplicated[:10]}")
    same = workers_before == workers_after and bool(workers_before)
    print(
        f"gunicorn workers: {len(workers_before)} before, {len(workers_after)} after, "
        + ("the same processes (recovered by themselves)" if same else "replaced")
    )
    print(f"logs: {logs}")
    print("=" * 71)
    healthy = recovered_at is not None or start is None
    return 0 if not lost and not duplicated and healthy and acknowledged else 1


if __name__ == "__main__":
    sys.exit(main())
