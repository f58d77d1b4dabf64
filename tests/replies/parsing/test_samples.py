"""Every sample letter parses to the fields and sections recorded in its expected.json.

Values are compared the way the shared scorer (tools/score_letters.py) compares them
(widths and spaces folded, a title's quotes and stops ignored, proposers as a set), but
here every field and every section must match, in both sample folders.
"""

from __future__ import annotations

from typing import Any

import pytest

from replies.parsing import ParsedLetter, parse_letter, read_letter_file

from .samples import folder_path, letter_params, missing, scorer


def _parse(folder: str, name: str) -> ParsedLetter:
    text, warnings = read_letter_file(folder_path(folder) / name)
    assert text is not None, warnings
    return parse_letter(text)


@pytest.mark.parametrize(("folder", "expected"), letter_params())
def test_sample_fields_and_sections_are_exact(folder: str, expected: dict[str, Any] | None) -> None:
    """Session, number, kind, title, proposers, agency, date, doc number, class and every
    numbered section (number, marker, heading, start) are as hand-checked."""
    if expected is None:
        missing(f"expected.json of {folder} not found")
    score = scorer("score_letters")
    letter = _parse(folder, expected["file"])
    got = letter.as_dict()

    for field in (
        "session",
        "proposal_number",
        "kind",
        "reply_date",
        "doc_number",
        "classification",
    ):
        assert score.field_value(got, field) == score.field_value(expected, field), field
    assert score.field_value(got, "title") == score.norm_heading(expected["title"])
    assert score.field_value(got, "proposers") == score.proposer_set(expected["proposer"])
    accepted = {
        score.norm(a) for a in [expected["agency"], *expected.get("agency_alternatives", [])]
    }
    assert score.field_value(got, "agency") in accepted

    want = expected["sections"]
    assert len(got["sections"]) == len(want)
    for section, exp in zip(got["sections"], want, strict=True):
        assert section["number"] == exp["number"]
        assert score.norm(section["marker"]) == score.norm(exp["marker"])
        assert score.norm_heading(section["heading"]) == score.norm_heading(exp["heading"])
        lead = score.lead_key(exp["lead"])
        text = score.lead_key(section["text"])
        assert text[: len(lead)] == lead, (section["text"][:20], exp["lead"])
