"""The sample letters (settings.SAMPLES_DIR), found at collection time for parametrising.

Without the samples folder the tests that need it skip, except on CI (CI=true), where a
missing folder is a broken set-up and fails them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings


def samples_root() -> Path:
    return Path(settings.SAMPLES_DIR)


def sample_letters() -> list[Path]:
    """Every sample letter: letters/*.txt, then more/letters/*.txt."""
    root = samples_root()
    return sorted((root / "letters").glob("*.txt")) + sorted(
        (root / "more" / "letters").glob("*.txt")
    )


def sample_id(path: Path | None) -> str:
    return "missing" if path is None else str(path.relative_to(samples_root()))


def missing(what: str) -> None:
    """Skip the test for want of ``what``, or fail it on CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (required on CI)")
    pytest.skip(what)


def require_samples() -> Path:
    root = samples_root()
    if not (root / "letters" / "001.txt").is_file():
        missing(f"sample letters not found at {root}")
    return root


def require_tesseract() -> None:
    if shutil.which(os.environ.get("TESSERACT_CMD") or "tesseract") is None:
        missing("Tesseract is not installed (make ocr)")
