"""Known vulnerabilities in the locked app dependencies: pip-audit with PyPI's advisories.

    python deploy/audit.py requirements/app.txt

Exits 1 when any locked package has a known vulnerability (naming each, with the version
that fixes it). When the advisory data cannot be reached at all — every package comes back
"could not be audited", as on machines whose registry proxy serves the package index but
not PyPI's per-release JSON — it says so loudly and exits 0 unless ``AUDIT_REQUIRED=1``
(set it where PyPI is fully reachable, so that an unreachable service fails the build).
"""

import json
import os
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    lock = argv[1] if len(argv) > 1 else "requirements/app.txt"
    command = [
        str(Path(sys.executable).parent / "pip-audit"),
        "--vulnerability-service",
        "pypi",
        "--disable-pip",
        "--require-hashes",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "-r",
        lock,
    ]
    run = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed:\n{run.stderr.strip()}", file=sys.stderr)
        return 1
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            print(
                f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} "
                f"(fixed in {fixed})"
            )
    if vulnerable:
        return 1
    audited = len(dependencies) - len(skipped)
    if dependencies and not audited:
        print(
            f"AUDIT NOT PERFORMED: PyPI's advisory data could not be reached for any of the "
            f"{len(dependencies)} locked packages of {lock} (first: {skipped[0]['skip_reason']})."
        )
        return 1 if os.environ.get("AUDIT_REQUIRED") == "1" else 0
    for dependency in skipped:
        print(f"not audited: {dependency['skip_reason']}")
    print(f"No known vulnerabilities in {audited} locked packages of {lock}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
