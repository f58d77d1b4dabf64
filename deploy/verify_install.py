"""Check that an environment holds exactly the locked packages, at the locked versions.

    python deploy/verify_install.py requirements/dev.txt

Reads ``pip freeze`` of the running interpreter's environment and the ``name==version``
pins of the lock file; exits non-zero, naming each difference, when a package is missing,
at another version, or installed without being locked.
"""

import re
import subprocess
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
# The installer itself is not part of the lock.
TOOLS = {"pip", "setuptools", "wheel"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def installed() -> dict[str, str]:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in frozen.splitlines():
        match = PIN.match(line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
        elif line.strip() and not line.startswith("#"):
            # An editable or URL install: never part of a locked environment.
            found[canonical(re.split(r"[\s@=]", line.strip())[0])] = line.strip()
    return {name: version for name, version in found.items() if name not in TOOLS}


def differences(locked: dict[str, str], present: dict[str, str]) -> list[str]:
    problems = []
    for name, version in sorted(locked.items()):
        if name in TOOLS:
            continue
        if name not in present:
            problems.append(f"missing: {name}=={version}")
        elif present[name] != version:
            problems.append(f"{name}: installed {present[name]}, locked {version}")
    for name in sorted(set(present) - set(locked)):
        problems.append(f"not in the lock: {name}=={present[name]}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: verify_install.py LOCKFILE", file=sys.stderr)
        return 2
    problems = differences(pins(Path(argv[1])), installed())
    if problems:
        print(f"The environment does not match {argv[1]}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print("Recreate it: make clean && make install", file=sys.stderr)
        return 1
    print(f"The environment holds exactly the packages of {argv[1]}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
