"""Traffic as users make it (``make bench-traffic``; also part of ``make bench``).

Repeated hits on one URL measure the page cache, not the site. This walks thousands of
distinct URLs, each run beside the bare Django view in the same gunicorn:

- **every URL different**, per page kind (proposal pages, searches, commitment filters,
  dashboard scopes): each request a URL no earlier request of the run asked for;
- **a Zipf mix**: 60% proposal pages over every published proposal, 25% searches over
  4,000 queries sampled from the data, 5% each home, commitment filters and dashboard
  scopes; Zipf s = 1.1 within each kind; 10 s warm-up, 60 s measured.

During every run one progress update a second goes through ``progress.post_update`` (the
service staff use), so the public-data version moves and cached pages go stale as they do
in production. Each run reports requests per second, p99, the share of the bare view's
throughput and the page cache's hit ratio (the ``X-Cache`` header, counted by wrk's Lua).
The seed of the samples is printed; ``BENCH_SEED`` reruns with another.

The pure parts (URL lists, the Zipf sequence, wrk's output) are functions tested in
``tests/bench/test_traffic.py``; the runs need the benchmark database and wrk.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
import subprocess
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "traffic.lua"

MIX = {"proposal": 0.60, "search": 0.25, "home": 0.05, "commitments": 0.05, "dashboard": 0.05}
ZIPF_S = 1.1
SEARCH_QUERIES = 4000
WARM_UP = 10
MEASURED = 60
KIND_SECONDS = 20  # every URL different: per page kind
TARGETS = {  # share of the bare view's throughput, same run
    "zipf": 0.40,
    "proposal": 0.08,
    "search": 0.05,
    "commitments": 0.05,
    "dashboard": 0.05,
}
STATUSES = ["", "not_started", "in_progress", "fulfilled", "partial", "not_fulfilled", "overdue"]


# --- URL lists (pure, given rows read from the database) --------------------------------


def proposal_urls(rows: list[tuple[str, str, str]]) -> list[str]:
    """Public proposal pages from (committee slug, session slug, proposal slug) rows."""
    return ["/p/" + "/".join(urllib.parse.quote(part) for part in row) + "/" for row in rows]


def sample_queries(texts: list[str], count: int, rng: random.Random) -> list[str]:
    """``count`` distinct search queries cut from the data's own text: two to four
    characters (a word, a phrase, a number with its neighbour), as people type them."""
    runs = [
        match.group(0)
        for text in texts
        for match in re.finditer(r"[\u4e00-\u9fff0-9A-Za-z]{2,}", text)
    ]
    found: list[str] = []
    seen: set[str] = set()
    for _ in range(count * 50):
        if len(found) == count or not runs:
            break
        run = rng.choice(runs)
        size = rng.randint(2, min(4, len(run)))
        start = rng.randint(0, len(run) - size)
        query = run[start : start + size]
        if query not in seen:
            seen.add(query)
            found.append(query)
    return found


def search_urls(queries: list[str]) -> list[str]:
    return ["/proposals/?" + urllib.parse.urlencode({"q": query}) for query in queries]


def commitment_urls(
    committees: list[str], sessions: list[tuple[str, int]], departments: list[tuple[str, int]]
) -> list[str]:
    """Filter combinations a visitor makes: a committee, then a session or a department
    of it, with or without a status. ``sessions``/``departments``: (committee, id)."""
    urls = []
    for committee in committees:
        for status in STATUSES:
            urls.append(_query("/commitments/", committee=committee, status=status))
    for committee, session in sessions:
        for status in STATUSES:
            urls.append(
                _query("/commitments/", committee=committee, session=session, status=status)
            )
    for committee, department in departments:
        for status in STATUSES[:3]:
            urls.append(
                _query("/commitments/", committee=committee, department=department, status=status)
            )
    return urls


def dashboard_urls(
    committees: list[str], sessions: list[tuple[str, int]], departments: list[tuple[str, int]]
) -> list[str]:
    urls = ["/dashboard/"]
    urls += [_query("/dashboard/", committee=committee) for committee in committees]
    urls += [_query("/dashboard/", committee=c, session=s) for c, s in sessions]
    urls += [_query("/dashboard/", committee=c, department=d) for c, d in departments]
    return urls


def _query(path: str, **params) -> str:
    present = {name: value for name, value in params.items() if value not in ("", None)}
    return path + ("?" + urllib.parse.urlencode(present) if present else "")


# --- The Zipf mix (pure) -----------------------------------------------------------------


class Zipf:
    """Ranks 0..n-1 drawn with probability ∝ 1/(rank+1)^s (cumulative table, bisect)."""

    def __init__(self, n: int, s: float = ZIPF_S):
        weights = [1 / (rank + 1) ** s for rank in range(n)]
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random) -> int:
        return bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])


def zipf_mix(urls: dict[str, list[str]], length: int, rng: random.Random) -> list[str]:
    """A request sequence: the kind by ``MIX``, the URL within it by Zipf over a shuffled
    order of the kind's URLs (popular pages are not the lowest ids)."""
    kinds = list(MIX)
    weights = [MIX[kind] for kind in kinds]
    shuffled = {}
    for kind in kinds:
        order = list(urls[kind])
        rng.shuffle(order)
        shuffled[kind] = order
    tables = {kind: Zipf(len(shuffled[kind])) for kind in kinds}
    sequence = []
    for kind in rng.choices(kinds, weights, k=length):
        sequence.append(shuffled[kind][tables[kind].draw(rng)])
    return sequence


# --- wrk ---------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    requests: int
    rps: float
    p99_ms: float | None
    hits: int
    misses: int
    errors: int
    snapshots: int = 0  # pre-rendered proposal pages served (portal.snapshots)

    @property
    def hit_ratio(self) -> float | None:
        seen = self.hits + self.misses + self.snapshots
        return self.hits / seen if seen else None

    @property
    def snapshot_ratio(self) -> float | None:
        seen = self.hits + self.misses + self.snapshots
        return self.snapshots / seen if seen else None


def parse_wrk(name: str, out: str) -> Run:
    """wrk's summary (with --latency) and the Lua script's ``XCACHE`` line."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    latency = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = None
    if latency and requests:
        value, unit = latency.groups()
        p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    cache = re.search(r"XCACHE hits=(\d+) misses=(\d+) snapshots=(\d+) errors=(\d+)", out)
    counts = (int(value) for value in cache.groups()) if cache else (0, 0, 0, 0)
    hits, misses, snapshots, errors = counts
    return Run(name, requests, rps, p99, hits, misses, errors, snapshots)


def wrk_paths(base: str, paths: list[str], seconds: int, name: str, connections: int = 8) -> Run:
    """wrk walking ``paths`` in order (each thread from its own share of the list)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
        listing = handle.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                str(LUA),
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
            env={"WRK_PATHS": listing, "PATH": "/usr/bin:/bin"},
        ).stdout
    finally:
        Path(listing).unlink(missing_ok=True)
    return parse_wrk(name, out)


# --- Writes during the runs ----------------------------------------------------------------


class ProgressWriter(threading.Thread):
    """One progress update a second through the service, on published commitments."""

    def __init__(self, commitment_ids: list[int], rng: random.Random):
        super().__init__(daemon=True)
        self.ids = commitment_ids
        self.rng = rng
        self.stop = threading.Event()
        self.written = 0
        self.failed = 0

    def run(self) -> None:
        from django.db import connection

        from replies.models import CommitmentItem
        from replies.services import progress

        while not self.stop.wait(1.0):
            try:
                item = CommitmentItem.objects.get(pk=self.rng.choice(self.ids))
                status = self.rng.choice(["in_progress", "partial", "fulfilled"])
                progress.post_update(commitment=item, status=status, note="基准测试进展")
                self.written += 1
            except Exception:  # noqa: BLE001  (counted and reported)
                self.failed += 1
        connection.close()
