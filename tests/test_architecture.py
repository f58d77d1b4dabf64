"""The import contract of docs/architecture.md (pyproject.toml, [tool.importlinter]) holds,
and it fails when a module imports upward or two modules import each other."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["config", "core", "proposals", "replies", "portal", "bench"]
LINT = Path(sys.executable).parent / "lint-imports"


def lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(folder)},
        timeout=120,
    )


@pytest.fixture
def copy(tmp_path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_the_contract(copy):
    result = lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, line, broken",
    [
        # An upward import, even inside a function, breaks the layers.
        ("proposals/models.py", "def f():\n    from portal import views\n", "Layers"),
        ("core/caching.py", "from replies import selectors\n", "Layers"),
        # Django in the pure parser.
        ("replies/parsing/text.py", "import django.db\n", "pure Python"),
        # The app reaching into the benchmarks.
        ("replies/selectors.py", "import bench.synthetic\n", "benchmarks"),
        # Two modules of one package importing each other.
        ("proposals/models.py", "def g():\n    from proposals import search\n", "each other"),
    ],
)
def test_the_contract_fails_on_a_broken_rule(copy, module, line, broken):
    path = copy / module
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + line, encoding="utf-8")
    result = lint(copy)
    assert result.returncode != 0
    assert any(broken in row and "BROKEN" in row for row in result.stdout.splitlines()), (
        result.stdout
    )
