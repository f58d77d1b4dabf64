"""`make chaos` (bench/chaos.py) is a test that can fail: the bounded run passes — PostgreSQL
crashed under load on a throwaway cluster, users saw the 503 page, no acknowledged write
lost — and the same load without the outage, or with durability switched off, fails.

PostgreSQL only (the app runs on it in the chaos run; once per CI run is enough), and
never against the test database or the shared cluster: the script makes its own."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.samples import require_samples

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("CHAOS_PG_BIN", "/usr/lib/postgresql/15/bin"))

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the chaos run is PostgreSQL's"),
]


@pytest.fixture(autouse=True)
def _server_binaries():
    """initdb and postgres: skipped without them, failed under CI=true (as .ci/run sets)."""
    if not (PG_BIN / "initdb").is_file():
        reason = f"PostgreSQL's server binaries not found in {PG_BIN} (set CHAOS_PG_BIN)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires them", pytrace=False)
        pytest.skip(reason)
    require_samples()


def run(*command: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    print(result.stdout[-6000:], result.stderr[-3000:])
    return result


def figure(pattern: str, output: str) -> float:
    found = re.search(pattern, output)
    assert found, f"{pattern!r} not in the report:\n{output}"
    return float(found.group(1))


def test_the_bounded_run_passes_with_the_crash_seen_and_nothing_lost():
    result = run("make", "--no-print-directory", "chaos", "QUICK=1")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert out.rstrip().endswith("PASS: no acknowledged write lost; users saw the 503 page")
    assert "SIGKILL to the postmaster" in out
    assert figure(r"PostgreSQL refused connections for ([\d.]+) s", out) >= 5
    assert figure(r"503 page: (\d+)", out) > 0
    assert "failures outside the outage: 0" in out
    assert "acknowledged writes lost: 0" in out
    for kind in ("progress", "heading", "import", "publish", "rating"):
        assert figure(rf"  {kind} +\d+ posts .*?(\d+) acknowledged", out) > 0, kind
    assert " 0 stale" in out


def test_the_same_load_without_the_outage_fails():
    result = run("make", "--no-print-directory", "chaos", "QUICK=1", "NO_OUTAGE=1")
    assert result.returncode != 0, result.stdout
    assert "FAIL: no outage observed: PostgreSQL never refused a connection" in result.stdout
    assert "FAIL: no user met an outage" in result.stdout
    assert "acknowledged writes lost: 0" in result.stdout  # the load itself ran


@pytest.mark.parametrize(
    "option", ["--postgres-setting=fsync=off", "--app-setting=synchronous_commit=off"]
)
def test_durability_switched_off_fails_before_the_load(option):
    """fsync off on the server, or synchronous_commit off in the app's own connection
    options: the run stops before any load, saying which."""
    name = option.split("=")[1]
    result = run(sys.executable, "bench/chaos.py", "--quick", option)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAIL: {name} off for the app's connections" in result.stdout
    assert "make chaos report" not in result.stdout
