"""Where the sample letters are, and what a test does when they are missing.

The samples live beside the checkout (``../shared/samples``) or wherever ``SAMPLES_DIR``
says, as in config/settings.py. No Django here: the parser's tests use this too.
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = Path(os.environ.get("SAMPLES_DIR") or ROOT.parent / "shared" / "samples")


def samples_missing(reason: str) -> None:
    """Skip the test; under ``CI=true`` (as .ci/run sets) fail it instead, so that CI can
    never pass by skipping every test that reads a sample letter."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires the samples", pytrace=False)
    pytest.skip(reason)


def require_samples(path: Path = SAMPLES_DIR) -> Path:
    """``path`` when it holds the sample letters; otherwise skip (fail under CI=true)."""
    if not (path / "letters").is_dir():
        samples_missing(f"sample letters not found at {path} (set SAMPLES_DIR)")
    return path
