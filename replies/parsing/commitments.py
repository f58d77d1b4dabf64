"""The sections' statements (done / ongoing / planned), derived from the promise detector.

Decision: a section's statements are the units the promise detector read in it. Its promises
are the planned statements (with their deadlines) and their targets the section's targets;
every other unit with a recognisable aspect is kept too, as done or ongoing, because the
section's suggested status is computed from the mix (only done -> fulfilled, done + planned
-> in progress). Units with no signal at all (background, courtesy, list lead-ins) are left
out. There is no second rule for "planned": it is what ``promises.detect`` says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .dates import iter_dates
from .promises import KIND_PROMISE, KIND_STATEMENT, Unit
from .result import (
    MODALITY_DONE,
    MODALITY_ONGOING,
    MODALITY_PLANNED,
    ParsedCommitment,
    ParsedTarget,
)

# Present progress: 正在… / 推进中 / 仍在.
_ONGOING_RE = re.compile(
    r"正在|正逐步|正积极|正抓紧|正加紧|正加快|正全力|正着手|正组织|正研究|正推进|正协调|"
    r"正与|正对|目前正|仍在|推进中|进行中|实施中|建设中|办理中"
)
_WEAK_ONGOING_RE = re.compile(
    r"持续(?:推进|开展|加大|深化|实施|做好|抓好|跟进|关注|加强|增加)|稳步推进|有序推进|扎实推进|"
    r"逐步推进|积极推进|加快推进|常态化|不断(?:加强|完善|推进)"
)
# Past aspect: 已/累计/去年… report finished work.
_DONE_RE = re.compile(
    r"已|累计|去年|上年|前年|近年来|此前|截至|截止|曾|先后|共计|兑现|"
    r"(?<![为除罢不])了(?!解|如指掌)"
)
# Verbs of finished work, weaker: a plan uses them too, but a promise was ruled out already.
_WEAK_DONE_RE = re.compile(
    r"完成|出台|建成|印发|下发|召开|取得|发放|成立|设立|建立|制定|举办|投入使用|实现|达到"
)
_FIGURE_RE = re.compile(
    r"(?<![\d.])\d++(?:\.\d++)?\s*(?:万|亿)?(?:元|家|个|项|人|名|所|座|条|台|套|场|户|次|%)"
)
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# 到2025年 / 至2025年底 / 力争2025年 name a goal, not the present.
_FUTURE_YEAR_RE = re.compile(r"(?:到|至|于|在|力争|争取|确保|计划|预计)\s*((?:19|20)\d{2})\s*年")


def statement_modality(norm: str, ref_year: int | None) -> str | None:
    """done / ongoing / None for a unit the promise detector did not find to be a promise.

    Present progress beats past markers ("已完成…,正在进行…" is still running); past aspect
    beats the weaker signs; then bare verbs of accomplishment, past years and figures.
    """
    if _ONGOING_RE.search(norm):
        return MODALITY_ONGOING
    if _DONE_RE.search(norm):
        return MODALITY_DONE
    if _WEAK_ONGOING_RE.search(norm):
        return MODALITY_ONGOING
    if (
        _WEAK_DONE_RE.search(norm)
        or _FIGURE_RE.search(norm)
        or (
            ref_year is not None
            and any(int(m.group(1)) < ref_year for m in _YEAR_RE.finditer(norm))
        )
    ):
        return MODALITY_DONE
    return None


@dataclass(frozen=True)
class SectionAnalysis:
    commitments: tuple[ParsedCommitment, ...]
    targets: tuple[ParsedTarget, ...]


def statements(units: Sequence[Unit], ref_year: int | None) -> SectionAnalysis:
    """Statements and targets of a section from the detector's units (in order)."""
    commitments: list[ParsedCommitment] = []
    targets: list[ParsedTarget] = []
    for unit in units:
        if unit.kind == KIND_PROMISE:
            commitments.append(ParsedCommitment(unit.text, MODALITY_PLANNED, unit.deadline))
            targets.extend(unit.targets)
        elif unit.kind == KIND_STATEMENT and not unit.courtesy:
            modality = statement_modality(unit.norm, ref_year)
            if modality is not None:
                commitments.append(ParsedCommitment(unit.text, modality, None))
    return SectionAnalysis(tuple(commitments), tuple(targets))


def reference_year(reply: date | None, mentioned_norm: str) -> int | None:
    """The year that 今年/年底前 refer to: the reply's, else the latest year mentioned.

    Years that follow 到/至/力争 are targets, not the present, so they are not counted.
    """
    if reply is not None:
        return reply.year
    future = {m.start(1) for m in _FUTURE_YEAR_RE.finditer(mentioned_norm)}
    years = [
        int(m.group(1))
        for m in _YEAR_RE.finditer(mentioned_norm)
        if m.start(1) not in future and 1949 <= int(m.group(1)) <= 2100
    ]
    years += [value.year for _s, _e, value in iter_dates(mentioned_norm)]
    return max(years) if years else None
