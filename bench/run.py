"""`make bench` and `make bench-parse`: build or reuse the data set, measure, print one table.

    python bench/run.py all      # data, search, HTTP, parse/import, memory, size
    python bench/run.py parse    # letters per second: parse_letter and import_letter
    python bench/run.py classcheck  # class check on the samples that state a class
    python bench/run.py traffic  # every URL different and the Zipf mix (bench/traffic.py)
    python bench/run.py coverage # 逐条答复 matcher's precision/recall (bench/coverage.py; no DB)
    python bench/run.py repeats  # precision and recall of 此前相关提案 (bench/repeats.py)

Everything runs on this machine against 127.0.0.1 only, and every loop is bounded (a fixed
query list, fixed wrk durations). Results also go to bench/data/results.json (git-ignored),
from which docs/performance.md is written by hand.
"""

import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
DB_NAME = os.environ.get("BENCH_DB", "tiantrack_bench")
PROPOSALS = int(os.environ.get("BENCH_PROPOSALS", "100000"))
SEED = 1
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WORKERS = 3
WRK = ["wrk", "-t2", "-c8", "-d10s", "--latency", "--timeout", "10s"]
PG = {"PGHOST": "127.0.0.1", "PGUSER": "postgres"}

ENV = {
    **os.environ,
    **PG,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
    "DJANGO_LOG_LEVEL": "WARNING",
    # Production runs behind a TLS proxy; on loopback there is none to send https.
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    # The host the proposal pages are pre-rendered for (portal.snapshots): the bench's.
    "DJANGO_SITE_URL": f"http://127.0.0.1:{PORT}",
    "PYTHONPATH": str(ROOT),
}
PYTHON = str(ROOT / ".venv" / "bin" / "python")
rows: list[tuple[str, str, str, str]] = []  # (measure, result, target, command)


def sh(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, env=ENV, cwd=ROOT, text=True, **kwargs)


def manage(*args, **kwargs) -> subprocess.CompletedProcess:
    return sh(PYTHON, "manage.py", *args, **kwargs)


def ensure_postgres() -> None:
    if sh("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", check=False).returncode:
        version = sorted(os.listdir("/etc/postgresql"))[0]
        sh("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start")
        for _ in range(30):
            if not sh("pg_isready", "-q", "-h", "127.0.0.1", check=False).returncode:
                break
            time.sleep(1)
    exists = sh(
        "psql",
        "-d",
        "postgres",
        "-tAc",
        f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'",
        capture_output=True,
    ).stdout.strip()
    if not exists:
        sh("createdb", DB_NAME)


def setup_django():
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    # In-process timings: the request log's line per request would bury the table.
    logging.getLogger("core.requests").setLevel(logging.WARNING)


def build_data() -> None:
    """Migrate and collect the static files, then top the data set up to PROPOSALS (reused
    when already there)."""
    manage("migrate", "--noinput", "-v0")
    # Before any page is rendered: the search timings render pages in this process, with
    # the production settings' manifest storage, before gunicorn is started.
    manage("collectstatic", "--noinput", "-v0")
    count = int(psql("SELECT count(*) FROM proposals_proposal"))
    DATA.mkdir(parents=True, exist_ok=True)
    record = DATA / "generate.json"
    if count < PROPOSALS:
        missing = PROPOSALS - count
        started = time.monotonic()
        manage("generate_data", "--proposals", str(missing), "--seed", str(SEED))
        elapsed = time.monotonic() - started
        record.write_text(
            json.dumps({"proposals": missing, "seconds": elapsed, "date": time.strftime("%F")})
        )
    # The proposal pages rendered ahead of visitors (portal.snapshots), as production's
    # worker keeps them after each change: those missing or stale (all, the first time).
    started = time.monotonic()
    manage("render_pages")
    rows.append(
        (
            "pre-render the stale proposal pages",
            f"{time.monotonic() - started:.0f} s",
            "",
            "manage.py render_pages",
        )
    )
    if record.exists():
        data = json.loads(record.read_text())
        rate = data["proposals"] / data["seconds"]
        minutes = 100_000 / rate / 60
        miss = f" (missed by {minutes - 15:.0f} min, {minutes / 15:.1f}×)" if minutes > 15 else ""
        rows.append(
            (
                f"generate_data ({data['proposals']:,} proposals, {data['date']})",
                f"{rate:.0f} proposals/s = {minutes:.1f} min per 100k{miss}",
                "100k < 15 min",
                f"manage.py generate_data --proposals {data['proposals']} --seed {SEED}",
            )
        )


def psql(sql: str) -> str:
    return sh("psql", "-d", DB_NAME, "-tAc", sql, capture_output=True).stdout.strip()


def data_size() -> None:
    counts = {
        table: int(psql(f"SELECT count(*) FROM {table}"))
        for table in ("proposals_proposal", "replies_reply", "replies_commitmentitem")
    }
    size = int(psql(f"SELECT pg_database_size('{DB_NAME}')"))
    per = size / counts["proposals_proposal"] * 100_000
    rows.append(
        (
            "data set",
            f"{counts['proposals_proposal']:,} proposals, {counts['replies_reply']:,} replies, "
            f"{counts['replies_commitmentitem']:,} commitments",
            "100k / 200k / 1M",
            "SELECT count(*) ...",
        )
    )
    rows.append(
        (
            "database size per 100k proposals",
            f"{per / 2**30:.2f} GiB",
            "",
            f"SELECT pg_database_size('{DB_NAME}')",
        )
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def search_bench() -> None:
    """Server time of the search page (in process, cache cleared), and the icontains baseline."""
    setup_django()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.queries import QUERIES

    client = Client()
    client.get("/proposals/", {"q": "人才"})  # connections and templates warm
    per_query, queries_run, detail = [], [], []
    for params in QUERIES:
        times = []
        for _ in range(3):
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get("/proposals/", params)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, params
        per_query.append(statistics.median(times))
        queries_run.append(len(captured))
        detail.append({"params": params, "ms": statistics.median(times), "queries": len(captured)})
    p50, p95 = percentile(per_query, 0.5), percentile(per_query, 0.95)

    baseline = icontains_baseline()
    b50, b95 = percentile(baseline["ms"], 0.5), percentile(baseline["ms"], 0.95)
    (DATA / "search.json").write_text(json.dumps(detail, ensure_ascii=False, indent=1))
    command = "bench/run.py search (50 queries in bench/queries.py, median of 3, cache cleared)"
    rows.append(("search p50, server time", f"{p50:.1f} ms", "", command))
    miss = f" (missed by {p95 - 20:.0f} ms, {p95 / 20:.1f}×)" if p95 > 20 else ""
    rows.append(("search p95, server time", f"{p95:.1f} ms{miss}", "≤ 20 ms", command))
    rows.append(("icontains p50 (count + first page)", f"{b50:.0f} ms", "", "same queries"))
    rows.append(("icontains p95 (count + first page)", f"{b95:.0f} ms", "", "same queries"))
    ratio50, ratio95 = b50 / p50, b95 / p95
    rows.append(
        (
            "speed-up over icontains (p50 / p95)",
            f"{ratio50:.0f}× / {ratio95:.0f}×",
            "≥ 50×",
            "icontains ÷ search page",
        )
    )
    rows.append(("queries per search page (max over 50)", str(max(queries_run)), "≤ 10", command))


def icontains_baseline() -> dict:
    """The same 50 queries as a typical Django app runs them (kept per data-set size)."""
    setup_django()
    from django.db import connection
    from django.db.models import Exists, OuterRef, Q

    from bench.queries import QUERIES
    from portal.filters import ProposalFilter
    from proposals.models import Proposal
    from replies.models import Reply
    from replies.selectors import public_proposals

    baseline_file = DATA / "baseline.json"
    proposals = Proposal.objects.count()
    baseline = json.loads(baseline_file.read_text()) if baseline_file.exists() else {}
    if baseline.get("proposals") != proposals:
        # What a typical Django app ships: icontains on the title and the reply bodies,
        # the paginator's count and the first page, newest first.
        times = []
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '120s'")
        for params in QUERIES:
            rest = {k: v for k, v in params.items() if k not in ("q", "sort")}
            queryset = ProposalFilter(rest or None, queryset=public_proposals()).qs
            for term in params.get("q", "").split():
                bodies = Reply.objects.published().filter(
                    proposal=OuterRef("pk"), body__icontains=term
                )
                queryset = queryset.filter(Q(title__icontains=term) | Exists(bodies))
            queryset = queryset.order_by("-replied_on", "-pk")
            started = time.perf_counter()
            queryset.count()
            list(queryset[:20])
            times.append((time.perf_counter() - started) * 1000)
            print(f"  icontains {params}: {times[-1]:.0f} ms", flush=True)
        baseline = {"proposals": proposals, "ms": times}
        baseline_file.write_text(json.dumps(baseline))
    return baseline


def start_gunicorn() -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        env=ENV,
        cwd=ROOT,
    )
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)
            return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit("gunicorn did not answer on /healthz")


def wrk(url: str) -> tuple[float, float | None]:
    """Requests per second and p99 latency (None when no request finished in time)."""
    subprocess.run([*WRK[:2], "-c8", "-d3s", url], check=True, capture_output=True)  # warm
    out = subprocess.run([*WRK, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    if not latency or not int(re.search(r"(\d+) requests in", out).group(1)):
        return rps, None
    value, unit = latency.groups()
    return rps, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECTS = urllib.request.build_opener(_NoRedirect)


def http_bench() -> None:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    proposal = psql(
        "SELECT c.slug || '/' || s.term || '-' || s.meeting || '/' || p.slug"
        " FROM proposals_proposal p JOIN proposals_session s ON s.id = p.session_id"
        " JOIN proposals_committee c ON c.id = s.committee_id"
        " WHERE p.replied_on IS NOT NULL ORDER BY p.id LIMIT 1"
    )
    pages = [
        ('bare Django view ("ok")', "/bench/ok"),
        ("home", "/"),
        ("search (人才)", "/proposals/?q=%E4%BA%BA%E6%89%8D"),
        ("proposal", "/p/" + urllib.request.quote(proposal) + "/"),
        ("commitments", "/commitments/"),
        ("dashboard", "/dashboard/"),
    ]
    server = start_gunicorn()
    try:
        results = {}
        for name, path in pages:
            url = f"http://127.0.0.1:{PORT}{path}"
            try:
                status = NO_REDIRECTS.open(url, timeout=120).status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = None
            if status != 200:
                answer = "n/a (not built)" if status == 404 else f"n/a (answers {status})"
                if status == 500:
                    answer += ", see the gunicorn log above (a worker timeout is a 500)"
                rows.append((f"HTTP {name}", answer, "", f"GET {path}"))
                continue
            results[name] = wrk(url)
        bare = results['bare Django view ("ok")'][0]
        for name, path in pages:
            if name not in results:
                continue
            rps, p99 = results[name]
            target = "≥ 60% of bare" if name.startswith(("search", "proposal")) else ""
            latency = f"p99 {p99:.1f} ms" if p99 is not None else "no request finished in 10 s"
            if target and rps / bare < 0.6:
                target += f" (missed by {60 - 100 * rps / bare:.0f} points)"
            rows.append(
                (
                    f"HTTP {name}",
                    f"{rps:,.0f} req/s, {latency}, {rps / bare:.0%} of bare",
                    target,
                    " ".join(WRK) + f" http://127.0.0.1:{PORT}{urllib.request.unquote(path)}",
                )
            )
        peaks = _worker_peaks(server)
        rows.append(
            (
                "peak resident memory of a web worker",
                f"{max(peaks) / 1024:.0f} MiB",
                "",
                f"VmHWM in /proc/PID/status of the {WORKERS} gunicorn workers",
            )
        )
    finally:
        # Quick shutdown: a worker may still be inside a slow page.
        server.send_signal(signal.SIGQUIT)
        server.wait(timeout=60)


def traffic_bench() -> None:
    """Every URL different per page kind, and the Zipf mix, each beside the bare view, with
    one progress update a second through the service (bench/traffic.py); then the cold
    figures and the workers' peak memory."""
    import random

    sys.path.insert(0, str(ROOT))
    from bench import traffic

    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    seed = int(os.environ.get("BENCH_SEED", "20261201"))
    rng = random.Random(seed)
    redis = _bench_redis()
    # No Celery worker runs here: the progress writer renders the pages it changed itself
    # (portal.snapshots), on the same two cores, as production's worker would.
    ENV["CELERY_TASK_ALWAYS_EAGER"] = "1"
    setup_django()
    from django.db.models import Q

    from proposals.models import Committee, Proposal
    from replies.models import CommitmentItem, Tally

    proposals = list(
        Proposal.objects.public()
        .order_by()
        .values_list(
            "session__committee__slug", "session__term", "session__meeting", "session__year", "slug"
        )
    )
    urls = {
        "proposal": traffic.proposal_urls(
            [
                (c, f"{term}-{meeting}" if term else str(year), slug)
                for c, term, meeting, year, slug in proposals
            ]
        )
    }
    titles = [
        title for (title,) in Proposal.objects.public().order_by("?").values_list("title")[:20000]
    ]
    urls["search"] = traffic.search_urls(
        traffic.sample_queries(titles, traffic.SEARCH_QUERIES, rng)
    )
    slugs = dict(Committee.objects.values_list("pk", "slug"))
    cells = Tally.objects.filter(commitments__gt=0, committee_id__gt=0)
    sessions = [
        (slugs[c], s)
        for c, s in cells.filter(session_id__gt=0, department_id=0).values_list(
            "committee_id", "session_id"
        )
    ]
    departments = [
        (slugs[c], d)
        for c, d in cells.filter(session_id=0, department_id__gt=0).values_list(
            "committee_id", "department_id"
        )
    ]
    committees = sorted({committee for committee, _ in sessions})
    urls["commitments"] = traffic.commitment_urls(committees, sessions, departments)
    urls["dashboard"] = traffic.dashboard_urls(committees, sessions, departments)
    urls["home"] = ["/"]
    for kind in ("proposal", "search", "commitments", "dashboard"):
        rng.shuffle(urls[kind])
    ids = list(
        CommitmentItem.objects.public()
        .filter(~Q(status="fulfilled"))
        .order_by("?")
        .values_list("pk", flat=True)[:5000]
    )
    print(
        f"traffic: seed {seed} (BENCH_SEED), {len(urls['proposal']):,} proposal pages, "
        f"{len(urls['search']):,} searches, {len(urls['commitments']):,} commitment filters, "
        f"{len(urls['dashboard']):,} dashboard scopes; cache: {redis or 'per-process memory'}"
    )
    from django.db import connection

    connection.close()
    base = f"http://127.0.0.1:{PORT}"
    writer = traffic.ProgressWriter(ids, random.Random(seed + 1))
    server = start_gunicorn()
    runs = []
    try:
        writer.start()
        for kind in ("proposal", "search", "commitments", "dashboard"):
            bare = traffic.wrk_paths(base, ["/bench/ok"], 10, "bare")
            paths = urls[kind]
            warm, measured = paths[-len(paths) // 5 :], paths[: -len(paths) // 5]
            traffic.wrk_paths(base, warm, 3, "warm-up")
            run = traffic.wrk_paths(base, measured, traffic.KIND_SECONDS, kind)
            runs.append((f"{kind}, every URL different", run, bare, traffic.TARGETS[kind]))
            if run.requests > len(measured):
                print(
                    f"note: {kind}: {run.requests} requests over {len(measured)} URLs (some repeated)"
                )
        sequence = traffic.zipf_mix(urls, 200_000, random.Random(seed + 2))
        bare = traffic.wrk_paths(base, ["/bench/ok"], 10, "bare")
        traffic.wrk_paths(base, sequence, traffic.WARM_UP, "warm-up")
        run = traffic.wrk_paths(base, sequence, traffic.MEASURED, "zipf")
        runs.append(("Zipf mix (60/25/5/5/5, s = 1.1)", run, bare, traffic.TARGETS["zipf"]))
        one = traffic.wrk_paths(base, [urls["proposal"][0]], 10, "one URL")
        runs.append(("one proposal URL again and again (page cache)", one, bare, None))
        peaks = _worker_peaks(server)
    finally:
        writer.stop.set()
        server.send_signal(signal.SIGQUIT)
        server.wait(timeout=60)
    writer.join(timeout=5)
    command = f"bench/run.py traffic (wrk -t2 -c8, bench/traffic.lua, BENCH_SEED={seed})"
    for name, run, bare, target in runs:
        share = run.rps / bare.rps
        hit = f"{run.hit_ratio:.0%}" if run.hit_ratio is not None else "n/a"
        if run.snapshots:
            hit += f", pre-rendered {run.snapshot_ratio:.0%}"
        p99 = f"{run.p99_ms:.0f} ms" if run.p99_ms is not None else "n/a"
        result = (
            f"{run.rps:,.0f} req/s = {share:.1%} of bare ({bare.rps:,.0f}), p99 {p99}, "
            f"cache hits {hit}, errors {run.errors}"
        )
        goal = ""
        if target is not None:
            goal = f"≥ {target:.0%} of bare" + ("" if share >= target else " (MISSED)")
        rows.append((f"HTTP {name}", result, goal, command))
    rows.append(
        (
            "progress updates during the runs",
            f"{writer.written} written, {writer.failed} failed",
            "1 a second",
            "progress.post_update",
        )
    )
    worst = max(peaks) / 1024
    rows.append(
        (
            "worker peak memory (VmHWM) after the varied runs",
            f"{worst:.0f} MiB",
            "≤ 120 MiB" + ("" if worst <= 120 else " (MISSED)"),
            f"/proc/PID/status of the {WORKERS} gunicorn workers",
        )
    )
    cold_figures()


def _bench_redis() -> str | None:
    """The shared cache for the traffic runs: Redis database 5 on 127.0.0.1, emptied first,
    when a Redis answers there; otherwise each worker caches for itself (said so)."""
    if "REDIS_URL" in os.environ:
        ENV["REDIS_URL"] = os.environ["REDIS_URL"]
        return ENV["REDIS_URL"]
    ping = subprocess.run(
        ["redis-cli", "-n", "5", "ping"], capture_output=True, text=True, check=False
    )
    if ping.returncode or "PONG" not in ping.stdout:
        return None
    subprocess.run(["redis-cli", "-n", "5", "flushdb"], capture_output=True, check=False)
    ENV["REDIS_URL"] = "redis://127.0.0.1:6379/5"
    os.environ["REDIS_URL"] = ENV["REDIS_URL"]
    return ENV["REDIS_URL"]


def _worker_peaks(server: subprocess.Popen) -> list[int]:
    workers = subprocess.run(
        ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
    ).stdout.split()
    peaks = []
    for pid in workers:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)))
    return peaks


def cold_figures() -> None:
    """Home, the dashboard and the commitment counts with nothing cached (in process,
    cache cleared before each), at the data set's size: median of 5."""
    setup_django()
    from django.core.cache import cache
    from django.test import Client

    from proposals.models import Committee

    committee = Committee.objects.order_by("pk").values_list("slug", flat=True).first()
    # The figures alone (what the roll-ups make flat), then the whole pages.
    from portal.filters import CommitmentFilter
    from replies import selectors

    chosen = Committee.objects.order_by("pk").first()
    for name, compute in (
        ("home figures", selectors.home_figures),
        ("dashboard figures", selectors.dashboard),
        (
            "commitment counts of a committee",
            lambda: selectors.commitment_counts(
                CommitmentFilter(
                    {"committee": chosen.slug}, queryset=selectors.public_commitments()
                )
            ),
        ),
    ):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            compute()
            times.append((time.perf_counter() - started) * 1000)
        ms = statistics.median(times)
        rows.append(
            (
                f"cold {name}, server time",
                f"{ms:.1f} ms",
                "≤ 50 ms" + ("" if ms <= 50 else " (MISSED)"),
                "the selector in process (no cache involved), median of 5",
            )
        )
    client = Client()
    client.get("/")
    for name, path in (
        ("home", "/"),
        ("dashboard", "/dashboard/"),
        ("commitments (counts of a committee)", f"/commitments/?committee={committee}"),
    ):
        times = []
        for _ in range(5):
            cache.clear()
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
        ms = statistics.median(times)
        rows.append(
            (
                f"cold {name} page, server time",
                f"{ms:.0f} ms",
                "",
                f"GET {path} in process, cache cleared, median of 5",
            )
        )


def parse_bench() -> None:
    """Letters per second: parse_letter (pure Python), and a bulk import into PostgreSQL
    the way ``manage.py import_letters DIR`` runs it (chunks, one transaction each)."""
    setup_django()
    import io
    import tempfile

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.synthetic import Composer
    from replies.management.commands.import_letters import CHUNK
    from replies.parsing import parse_letter

    composer = Composer(2024)
    letters = []
    for index in range(500):
        proposal = composer.proposal(5_000_000 + index, [])
        letters += [proposal.replies[0].body, proposal.replies[1].body]
    samples = Path(settings.SAMPLES_DIR) / "letters"
    found = sorted(samples.glob("*.txt"))
    if not found:
        print(f"No sample letters in {samples} (set SAMPLES_DIR): generated letters only")
    letters += [path.read_text(encoding="utf-8") for path in found]
    started = time.perf_counter()
    for text in letters:
        parse_letter(text)
    parse_rate = len(letters) / (time.perf_counter() - started)
    rows.append(
        (
            "parse (replies.parsing.parse_letter)",
            f"{parse_rate:,.0f} letters/s",
            "",
            f"bench/run.py parse ({len(letters)} letters)",
        )
    )
    count = 300
    queries = 0

    def counting(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    class Rollback(Exception):
        pass

    with tempfile.TemporaryDirectory() as folder:
        for index, text in enumerate(letters[:count]):
            (Path(folder) / f"{index:04}.txt").write_text(text, encoding="utf-8")
        out = io.StringIO()
        try:
            # Into the benchmark database at full size, then rolled back: nothing is kept.
            # The command's transactions (one per chunk) are savepoints inside this one.
            with transaction.atomic(), connection.execute_wrapper(counting):
                started = time.perf_counter()
                call_command(
                    "import_letters", folder, "--unknown-committee", stdout=out, stderr=out
                )
                elapsed = time.perf_counter() - started
                raise Rollback
        except Rollback:
            pass
    if f"导入 {count}，" not in out.getvalue():
        raise SystemExit(f"import_letters did not import all {count} letters:\n{out.getvalue()}")
    rate = count / elapsed
    miss = f" (missed by {100 - rate:.0f}/s, {100 / rate:.1f}×)" if rate < 100 else ""
    command = f"bench/run.py parse ({count} letters, chunks of {CHUNK}, {DB_NAME}, rolled back)"
    rows.append(
        (
            "import (manage.py import_letters DIR, PostgreSQL)",
            f"{rate:,.0f} letters/s{miss}",
            "≥ 100 letters/s",
            command,
        )
    )
    rows.append(("queries per imported letter", f"{queries / count:.1f}", "", command))


def repeats_bench() -> None:
    """Precision and recall of the repeat detection on generated proposals with planted
    paraphrased repeats and same-field decoys (pure functions, no database rows)."""
    setup_django()
    from bench.repeats import evaluate, generate

    started = time.perf_counter()
    result = evaluate(generate())
    elapsed = time.perf_counter() - started
    command = (
        f"bench/run.py repeats ({result['proposals']} proposals, {result['pairs']:,} pairs, "
        f"{result['planted']} planted repeats, {elapsed:.1f} s)"
    )
    rows.append(
        (
            "repeats (此前相关提案): precision",
            f"{result['precision']:.1%} ({result['false_positive']} false)",
            "",
            command,
        )
    )
    rows.append(
        (
            "repeats (此前相关提案): recall",
            f"{result['recall']:.1%} ({result['false_negative']} missed)",
            "",
            command,
        )
    )


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()[0]
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({cpu}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"{psql('SHOW server_version')}, load {load:.1f} at start, {time.strftime('%F %H:%M')}"
    )


def print_table(header: str, *, save: bool = True) -> None:
    widths = [
        max(len(r[i]) for r in rows + [("measure", "result", "target", "command")])
        for i in range(4)
    ]
    print()
    print(header)
    line = "| " + " | ".join(f"{{:{w}}}" for w in widths) + " |"
    print(line.format("measure", "result", "target", "command"))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line.format(*row))
    if not save:
        return
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "results.json").write_text(
        json.dumps({"machine": header, "rows": rows}, ensure_ascii=False, indent=1)
    )


def coverage_bench() -> None:
    """The point-by-point matcher on generated proposals (pure Python, a few seconds)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.coverage import rows as coverage_rows

    rows.extend(coverage_rows())


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what == "coverage":
        coverage_bench()
        # Alone, it leaves the full run's results.json as it is.
        header = f"{platform.node()}: {os.cpu_count()} cores, {time.strftime('%F %H:%M')}"
        print_table(header, save=False)
        return
    if what == "classcheck":
        sys.path.insert(0, str(ROOT))
        from bench import classcheck  # pure Python: no database needed

        classcheck.run()
        return
    ensure_postgres()
    header = machine()
    if what == "parse":
        manage("migrate", "--noinput", "-v0")
        parse_bench()
    elif what == "repeats":
        repeats_bench()
    else:
        build_data()
        data_size()
        if what == "baseline":
            icontains_baseline()
        if what in ("all", "search"):
            search_bench()
        if what in ("all", "http"):
            http_bench()
        if what in ("all", "traffic"):
            traffic_bench()
        if what == "all":
            parse_bench()
            coverage_bench()
            repeats_bench()
    print_table(header)


if __name__ == "__main__":
    main()
