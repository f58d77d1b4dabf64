"""The lock files: consistent with each other, documented, and what is installed."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.M)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "deploy" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {package.lower(): version for package, version in PIN.findall(text)}


def test_every_pin_has_hashes():
    for name in ("app.txt", "dev.txt"):
        text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
        for block in blocks:
            if PIN.match(block):
                assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_dev_lock_pins_the_app_lock_versions():
    app, dev = pins("app.txt"), pins("dev.txt")
    assert app, "requirements/app.txt has no pins"
    assert {name: dev.get(name) for name in app} == app


def test_every_runtime_dependency_is_documented():
    table = (ROOT / "docs" / "dependencies.md").read_text(encoding="utf-8").lower()
    table = re.sub(r"[-_.]+", "-", table)  # package names as pip normalises them
    missing = [
        name for name in pins("app.txt") if f"| {name}" not in table and f", {name}" not in table
    ]
    assert not missing, f"add these to docs/dependencies.md: {missing}"


def test_the_environment_is_exactly_the_lock():
    """What make install checks after installing: pip freeze equals the dev lock."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "verify_install.py"), "requirements/dev.txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr


def test_verify_install_names_every_difference():
    verify = _load("verify_install")
    problems = verify.differences(
        {"django": "5.2.19", "gunicorn": "27.0.1", "pip": "1"},
        {"django": "5.2.18", "whitenoise": "6.12.0"},
    )
    assert problems == [
        "django: installed 5.2.18, locked 5.2.19",
        "missing: gunicorn==27.0.1",
        "not in the lock: whitenoise==6.12.0",
    ]
