"""The hand-checked sample letters and the project's scorers, read in place.

The samples live outside the repository (settings.SAMPLES_DIR, or env SAMPLES_DIR; by
default ../shared/samples next to the checkout) and the scorers beside them in ../tools.
Without them a test is skipped on a developer's machine, but fails in CI (env CI=true):
a missing samples folder must never pass silently there.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings

FOLDERS = ("letters", "more/letters")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def samples_dir() -> Path:
    return Path(os.environ.get("SAMPLES_DIR") or settings.SAMPLES_DIR)


def missing(reason: str) -> None:
    """Skip, or fail in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the samples must be present)")
    pytest.skip(reason)


def folder_path(folder: str) -> Path:
    path = samples_dir() / folder
    if not path.is_dir():
        missing(f"sample letters not found at {path} (set SAMPLES_DIR)")
    return path


def labels(folder: str, name: str) -> list[dict[str, Any]]:
    """expected.json or promises.json of a folder ('letters' or 'more/letters')."""
    path = folder_path(folder).parent / name
    if not path.is_file():
        missing(f"{path} not found")
    return json.loads(path.read_text(encoding="utf-8"))


def letter_params() -> list[Any]:
    """(folder, expected entry) for every sample letter, as pytest params; one param that
    skips (or fails in CI) when the samples are missing."""
    params: list[Any] = []
    for folder in FOLDERS:
        expected = (samples_dir() / folder).parent / "expected.json"
        if not expected.is_file():
            params.append(pytest.param(folder, None, id=f"{folder}-absent"))
            continue
        for entry in json.loads(expected.read_text(encoding="utf-8")):
            params.append(pytest.param(folder, entry, id=f"{folder}/{entry['file']}"))
    return params


def scorer(name: str) -> ModuleType:
    """One of the shared scorers (score_letters / score_promises), loaded from tools/."""
    path = samples_dir().parent / "tools" / f"{name}.py"
    if not path.is_file():
        missing(f"scorer not found at {path}")
    spec = importlib.util.spec_from_file_location(f"_shared_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
