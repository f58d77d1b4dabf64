"""Letters for the parser's tests: the sample letters (with their hand-checked fields) and
small invented ones. No Django: the parser is pure Python."""

from __future__ import annotations

import json
import re

import pytest

from replies.parsing import ParsedLetter, parse_letter, read_letter_file
from tests.samples import SAMPLES_DIR, require_samples

EXPECTED_FILE = SAMPLES_DIR / "expected.json"


def expected_entries() -> list:
    """One parameter per sample in expected.json; without the samples, one parameter whose
    test then skips (fails under CI=true) through ``sample_letter``."""
    if not EXPECTED_FILE.is_file():
        return [pytest.param({"file": "expected.json"}, id="absent")]
    entries = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    return [pytest.param(entry, id=entry["file"]) for entry in entries]


def sample_letter(name: str) -> ParsedLetter:
    """The sample letter ``name``, parsed."""
    require_samples()
    path = SAMPLES_DIR / "letters" / name
    text, warnings = read_letter_file(path)
    assert text is not None, warnings
    return parse_letter(text)


def invented_letter(
    *body: str, signature: str = "某某县交通运输局", when: str = "2021年7月9日"
) -> str:
    """A minimal invented letter around the given body lines."""
    return "\n".join(
        [
            "张三委员：",
            "您提出的《关于改善城区交通的提案》收悉，现答复如下：",
            *body,
            "感谢您对我们工作的关心和支持。",
            signature,
            when,
        ]
    )


def no_ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_clean(letter: ParsedLetter) -> None:
    """A ParsedLetter that did not fall back to the error path, and is JSON-ready."""
    assert isinstance(letter, ParsedLetter)
    assert not any(w.startswith("解析出错") for w in letter.warnings), letter.warnings
    json.dumps(letter.as_dict(), ensure_ascii=False)
