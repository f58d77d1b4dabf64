"""Derived commitments: for a letter without numbered sections, one group per paragraph
that holds a promise, headed by the action its first promise names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .commitments import statements
from .promises import KIND_PROMISE, Paragraph, Unit, promises_of
from .result import ParsedSection
from .text import normalize
from .topics import TopicMatcher


def derived_sections(
    paragraphs: list[Paragraph], units: list[Unit], ref_year: int | None, matcher: TopicMatcher
) -> tuple[ParsedSection, ...]:
    """For a letter without numbered sections: one derived section per paragraph that holds
    a promise, headed by a short phrase from its first promise."""
    by_paragraph: dict[int, list[Unit]] = {}
    for unit in units:
        by_paragraph.setdefault(unit.paragraph, []).append(unit)
    derived: list[ParsedSection] = []
    for index in sorted(by_paragraph):
        group = by_paragraph[index]
        promises = promises_of(group)
        if not promises:
            continue
        analysis = statements(group, ref_year)
        first = next(u for u in group if u.kind == KIND_PROMISE)
        heading = derived_heading(first.text, first.planned)
        text = paragraphs[index].orig
        derived.append(
            ParsedSection(
                number=len(derived) + 1,
                marker="",
                heading=heading,
                text=text,
                topic=matcher.match(heading, text),
                commitments=analysis.commitments,
                targets=analysis.targets,
                promises=promises,
                derived=True,
            )
        )
    return tuple(derived)


# Time phrases, connectives and the subject that open a promise ('下一步工作中,我们将…').
_DERIVED_LEAD_RE = re.compile(
    r"^(?:(?:下一步|下步|今后|同时|与此同时|此外|另外|近期|目前|当前|因此|但|并|还|也|今年|明年|"
    r"(?:19|20)\d{2}\s*年(?:底前|底|内|度)?|在今后的工作中|今后工作中|下一步工作中|下步工作中)"
    r"[,，、\s]*)+"
)
_DERIVED_SUBJECT_RE = re.compile(
    r"^[^,，。;；:：]{0,12}?(?:将|会(?![同议商签审办])|计划|预计|拟|要(?!求)|准备|打算|力争|争取)"
    r"(?=[\u4e00-\u9fff])"
)
# '于今年6月底前新开通…' -> '新开通…'
_DERIVED_WHEN_RE = re.compile(
    r"^(?:用\s*[\d一二两三四五六七八九十]{1,3}\s*年(?:\(含(?:今年|本年)\))?\s*(?:时间)?|"
    r"(?:于|在|到|从)?\s*(?:今年|明年|本年|(?:19|20)\d{2}\s*年度?)?\s*"
    r"(?:上半年|下半年|[\d一二三四五六七八九十]{1,2}\s*月)?\s*(?:底|末|中旬|下旬)?\s*(?:前|内|以前)?)"
)
_DERIVED_TIME_ONLY_RE = re.compile(
    r"^(?:用|在|于)?\s*[\d一二两三四五六七八九十]{1,3}\s*年(?:\(含(?:今年|本年)\))?(?:时间|内|之内)?$"
)
_DERIVED_CUT_RE = re.compile(r"[,，。;；:：!！?？]")
_DERIVED_BOUNDARY = "、的和及与并(（"
DERIVED_HEADING_MAX = 20


# Clauses that only set the scene of the action: a condition (待…后, 如…), a place
# (在…处) or a setting (在…工作中 / …期间).
_DERIVED_CONDITION_RE = re.compile(r"^(?:待.{1,24}(?:后|时)|如.{1,24}|若.{1,24})$")
_DERIVED_SCENE_RE = re.compile(
    r"^(?:在.{1,30}(?:中|期间|过程中|处|内|旁|附近|下|上)|.{1,16}(?:期间|之际|过程中)|"
    r"(?:根据|按照|依据|依照|结合|围绕|对照|针对|立足).{1,30})$"
)


def _heading_phrase(text: str, level: int = 0) -> str | None:
    """The action named at the start of a clause, without time phrase and subject; None
    for a clause that only gives a time, or a setting (level 0) or a condition (level < 2)."""
    text = _DERIVED_CUT_RE.split(text.strip(), maxsplit=1)[0].strip()
    for regex in (_DERIVED_LEAD_RE, _DERIVED_SUBJECT_RE):
        m = regex.match(normalize(text))
        if m and m.end() >= len(text.rstrip()):
            return None  # nothing but a time phrase or a subject
        if m:
            text = text[m.end() :].lstrip()
    norm = normalize(text)
    if (
        _DERIVED_TIME_ONLY_RE.match(norm)
        or (level < 1 and _DERIVED_SCENE_RE.match(norm))
        or (level < 2 and _DERIVED_CONDITION_RE.match(norm))
    ):
        return None
    m = _DERIVED_WHEN_RE.match(norm)
    if m and len(text) - m.end() >= 4:
        text = text[m.end() :].lstrip()
    phrase = text.strip()
    if len(phrase) < 4:
        return None
    if len(phrase) > DERIVED_HEADING_MAX:
        window = phrase[:DERIVED_HEADING_MAX]
        at = max(window.rfind(ch) for ch in _DERIVED_BOUNDARY)
        phrase = window[:at] if at >= 6 else window
    return phrase


def derived_heading(promise: str, planned: Sequence[tuple[int, int]] = ()) -> str:
    """A heading of at most DERIVED_HEADING_MAX characters for a promise: the action named
    first in its planned part (``planned``: spans in ``promise``), without the time phrase
    and the subject, cut after a word boundary if long."""
    for level in (0, 1, 2):
        for a, b in planned:
            phrase = _heading_phrase(promise[a:b], level)
            if phrase:
                return phrase
    return _heading_phrase(promise, 2) or promise.strip()[:DERIVED_HEADING_MAX]
