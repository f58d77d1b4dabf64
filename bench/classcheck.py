"""Class check (#19 part 2) on the sample letters that state a class: how many are flagged,
and which, with the statements that contradict their class. A figure to report, not a test
(``python -m bench.classcheck`` or ``python bench/run.py classcheck``).

Reads the samples in place (SAMPLES_DIR, default ../shared/samples): letters/ and
more/letters/, each folder with the expected.json that states every letter's class.
"""

import json
import os
import sys
from pathlib import Path

from replies.parsing import parse_letter
from replies.parsing.class_check import check_letter

ROOT = Path(__file__).resolve().parent.parent


def samples_dir() -> Path:
    return Path(os.environ.get("SAMPLES_DIR", ROOT.parent / "shared" / "samples"))


def run(out=sys.stdout) -> dict:
    base = samples_dir()
    checked, flagged = 0, []
    # A control: the same letters read as if classed A and as if classed C (how often the
    # rule would object), so that "none flagged" is seen to mean something.
    control = {"A": [], "C": []}
    for folder in (base, base / "more"):
        expected = folder / "expected.json"
        if not expected.exists():
            continue
        for entry in json.loads(expected.read_text(encoding="utf-8")):
            stated = entry.get("classification")
            if not stated:
                continue
            path = folder / "letters" / entry["file"]
            letter = parse_letter(path.read_text(encoding="utf-8"))
            result = check_letter(stated, letter)
            checked += 1
            name = f"{folder.name if folder != base else 'letters'}/{entry['file']}"
            for as_if in control:
                if check_letter(as_if, letter).flagged:
                    control[as_if].append(f"{name} ({stated})")
            line = f"{name}: class {stated}, parser read {letter.classification or '—'}"
            if result.flagged:
                flagged.append(name)
                print(f"FLAGGED {line} — {result.message}", file=out)
                for text in result.statements[:5]:
                    print(f"    · {text[:100]}", file=out)
                if len(result.statements) > 5:
                    print(f"    · … {len(result.statements) - 5} more", file=out)
            else:
                print(f"ok      {line}", file=out)
    print(
        f"class check: {len(flagged)} of {checked} sample letters with a stated class flagged",
        file=out,
    )
    for as_if, files in control.items():
        print(
            f"  control: read as if classed {as_if}, {len(files)} of {checked} would be flagged {files}",
            file=out,
        )
    return {"checked": checked, "flagged": flagged, "control": control}


if __name__ == "__main__":
    run()
