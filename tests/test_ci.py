"""The suite's own rule for CI: without the sample letters, tests that read them skip on a
developer's machine but fail under ``CI=true`` (as .ci/run sets), so that CI cannot pass by
skipping them (tests/samples.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One test of each kind: the samples_dir fixture (with a database), and the parser's
# module-level helpers, parametrised from expected.json and reading a letter.
NEEDING_SAMPLES = [
    "tests/replies/management/test_parse_letter.py",
    "tests/replies/parsing/test_letter.py::test_sample_letter_matches_expected_fields",
    "tests/replies/parsing/test_commitments.py::test_seed_sections_topics_and_targets",
]


def run_without_samples(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CI", "DATABASE_URL", "SAMPLES_DIR"}
    }
    environment.update(SAMPLES_DIR=str(tmp_path / "no-samples-here"), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfs", *NEEDING_SAMPLES],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def outcomes(result: subprocess.CompletedProcess) -> dict[str, int]:
    """pytest's last line as counts: {"failed": 2, "error": 1, ...}."""
    summary = result.stdout.strip().splitlines()[-1]
    found = re.findall(r"(\d+) (failed|passed|skipped|errors?|xfailed|xpassed)\b", summary)
    return {word.removesuffix("s") if word == "errors" else word: int(n) for n, word in found}


def test_missing_samples_fail_the_run_under_ci(tmp_path):
    result = run_without_samples(tmp_path, CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    counts = outcomes(result)
    # The fixture fails in set-up (an error), the parser's helpers in the test (a failure).
    assert counts.get("failed", 0) + counts.get("error", 0) == 3, result.stdout
    assert not counts.get("passed") and not counts.get("skipped"), result.stdout
    assert result.stdout.count("CI=true requires the samples") >= 3, result.stdout


def test_missing_samples_skip_elsewhere(tmp_path):
    result = run_without_samples(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcomes(result) == {"skipped": 3}, result.stdout
