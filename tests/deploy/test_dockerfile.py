"""The Dockerfile, read as text (no registry is reachable here to build it): two stages
from base images given as build arguments, every RUN line calling a deploy/ script that
tests/deploy/test_offline_start.py runs too, a non-root user, a health check, the labels."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_two_stages_from_base_images_given_as_build_arguments():
    steps = instructions()
    froms = [rest for keyword, rest in steps if keyword == "FROM"]
    assert froms == ["${BUILDER_IMAGE} AS builder", "${RUNTIME_IMAGE} AS runtime"]
    args = [
        rest for keyword, rest in steps[: [k for k, _ in steps].index("FROM")] if keyword == "ARG"
    ]
    assert any(a.startswith("BUILDER_IMAGE=") for a in args)
    assert any(a.startswith("RUNTIME_IMAGE=") for a in args)


def test_every_run_line_calls_a_deploy_script_the_offline_test_runs():
    runs = [rest for keyword, rest in instructions() if keyword == "RUN"]
    assert runs
    scripts = []
    for command in runs:
        called = re.findall(r"\bsh (deploy/\S+\.sh)\b", command)
        assert called, f"a RUN line that calls no deploy/ script: {command}"
        # One script per line, nothing chained around it.
        assert not re.search(r"&&|;|\|", command), command
        scripts += called
    assert scripts == [
        "deploy/build_wheels.sh",
        "deploy/install_system.sh",
        "deploy/install_runtime.sh",
        "deploy/collect_static.sh",
    ]
    offline_test = (ROOT / "tests/deploy/test_offline_start.py").read_text(encoding="utf-8")
    for script in scripts:
        if script != "deploy/install_system.sh":  # apt-get and useradd: the image's only
            assert f'"{script}"' in offline_test, script
    assert '"deploy/start.sh"' in offline_test


def test_the_wheels_never_become_a_layer_of_the_runtime_image():
    runtime = instructions()[
        [rest for _k, rest in instructions()].index("${RUNTIME_IMAGE} AS runtime") :
    ]
    assert not any(k == "COPY" and "--from=builder" in rest for k, rest in runtime)
    install = next(rest for k, rest in runtime if k == "RUN" and "install_runtime.sh" in rest)
    assert "--mount=type=bind,from=builder" in install


def test_non_root_user_health_check_and_start_script():
    steps = instructions()
    users = [rest for keyword, rest in steps if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    keywords = [k for k, _ in steps]
    # Everything after USER runs as that user: no RUN may follow it.
    assert "RUN" not in keywords[keywords.index("USER") :]
    health = [rest for keyword, rest in steps if keyword == "HEALTHCHECK"]
    assert len(health) == 1 and "deploy/healthcheck.py" in health[0] and '"web"' in health[0]
    assert dict(steps)["ENTRYPOINT"] == '["/app/deploy/start.sh"]'
    assert dict(steps)["CMD"] == '["web"]'
    system = (ROOT / "deploy/install_system.sh").read_text(encoding="utf-8")
    assert "--uid 10001" in system and users[-1] == "10001:10001"


def test_oci_labels_carry_the_version_and_the_commit():
    steps = instructions()
    labels = " ".join(rest for keyword, rest in steps if keyword == "LABEL")
    assert 'org.opencontainers.image.version="${VERSION}"' in labels
    assert 'org.opencontainers.image.revision="${COMMIT}"' in labels
    args = [rest for keyword, rest in steps if keyword == "ARG"]
    assert "VERSION=unknown" in args and "COMMIT=unknown" in args


def test_the_runtime_has_ocr_and_no_build_tools():
    system = (ROOT / "deploy/install_system.sh").read_text(encoding="utf-8")
    for package in ("tesseract-ocr", "tesseract-ocr-chi-sim", "fonts-wqy-microhei"):
        assert package in system
    assert "--no-install-recommends" in system
    for tool in ("build-essential", "gcc", "libpq-dev", "python3-dev"):
        assert tool not in system
    # The same OCR packages as development's `make ocr`.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "tesseract-ocr-chi-sim" in makefile


def test_the_image_leaves_development_state_out():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for name in (".git", ".venv", "db.sqlite3", "media", "staticfiles", "tests", "backups"):
        assert name in ignored


def test_builds_offline_with_the_engines_own_frontend_and_an_executable_entry_point():
    """A `# syntax=` line would make BuildKit fetch a frontend image from a registry."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert not re.search(r"^#\s*syntax\s*=", text, re.M | re.I)
    mode = subprocess.run(
        ["git", "ls-files", "-s", "deploy/start.sh"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert mode and mode[0] == "100755"
