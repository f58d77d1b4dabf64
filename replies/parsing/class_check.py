"""Does a reply's class (办理结果类别) agree with what the letter says?

A letter classed A (已解决或采纳) reports work that has been done; a letter classed C
(因条件限制留作参考) — or D (不予采纳或说明解释) — keeps the suggestion for reference and
commits to nothing firm. Two contradictions are flagged to the proposal office, with the
statements that show them:

- **A without done work** (``A_ALL_FUTURE``): not one statement of the letter reports work
  done (modality ``done``), and at least ``A_MIN_FUTURE_STATEMENTS`` statements are future
  promises (modality ``planned``). Statements of work under way (``ongoing``) do not save
  an A: "正在推进" is not "已解决". The statements shown are the letter's promises.
- **C or D with firm, dated promises** (``FIRM_DATED_PROMISES``): at least
  ``C_MIN_DATED_PROMISES`` promises have a deadline (a date the parser read in the promise's
  planned part: 2024年底前, 年内) and are firm (a deadline, a target or a concrete,
  checkable act: ``ParsedPromise.firm``). A promise to "study it when conditions allow"
  has no date and is no contradiction.

Class B (正在解决或列入计划) mixes both by definition and is never flagged; a letter with no
class, or a class this module has no expectation for, neither.

The input is what the parser produced and the database keeps per section
(``CommitmentItem.statements`` and ``CommitmentItem.promises``: lists of plain dicts), so
the same function reads a parsed letter in the import preview and a saved reply. Which
class expects what is ``EXPECTATIONS``: a place that uses other class keys maps them there.

Pure Python, no Django: the admin, the benchmark script and the tests call it alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# What a class says about the letter.
SOLVED = "solved"  # the suggestion was dealt with: done work expected
NOT_PLANNED = "not_planned"  # kept for reference / not adopted: no firm dated promise

EXPECTATIONS: dict[str, str] = {"A": SOLVED, "C": NOT_PLANNED, "D": NOT_PLANNED}

# An A letter is doubtful when it reports no done work and makes at least this many
# future promises (one: a letter of promises only is not "solved").
A_MIN_FUTURE_STATEMENTS = 1
# A C/D letter is doubtful from this many firm promises with a deadline (one: a single
# dated, firm commitment is a plan, which is class B's definition).
C_MIN_DATED_PROMISES = 1

A_ALL_FUTURE = "a_all_future"
FIRM_DATED_PROMISES = "firm_dated_promises"

REASONS = {
    A_ALL_FUTURE: "A类答复未说明任何已完成的工作，所述均为今后的打算",
    FIRM_DATED_PROMISES: "留作参考或不予采纳的答复中有明确期限的具体承诺",
}

MODALITY_DONE = "done"
MODALITY_PLANNED = "planned"


@dataclass(frozen=True)
class ClassCheck:
    """The outcome: ``reason`` (None when the class agrees), and the statements that
    contradict the class (texts, each with its deadline if it has one)."""

    classification: str
    reason: str | None = None
    statements: tuple[str, ...] = field(default=())

    @property
    def flagged(self) -> bool:
        return self.reason is not None

    @property
    def message(self) -> str:
        return REASONS.get(self.reason or "", "")


def _text(item: Mapping[str, Any]) -> str:
    text = str(item.get("text") or "").strip()
    deadline = item.get("deadline")
    return f"{text}（期限：{deadline}）" if deadline else text


def check_class(
    classification: str | None,
    sections: Iterable[tuple[Iterable[Mapping[str, Any]], Iterable[Mapping[str, Any]]]],
    *,
    expectations: Mapping[str, str] = EXPECTATIONS,
) -> ClassCheck:
    """Check a letter's class against its sections, each given as ``(statements,
    promises)``: the dicts kept in ``CommitmentItem.statements`` (``text``, ``modality``,
    ``deadline``) and ``CommitmentItem.promises`` (``text``, ``deadline``, ``firm``)."""
    classification = (classification or "").strip()
    expected = expectations.get(classification)
    if expected is None:
        return ClassCheck(classification)
    statements: list[Mapping[str, Any]] = []
    promises: list[Mapping[str, Any]] = []
    for section_statements, section_promises in sections:
        statements.extend(section_statements or ())
        promises.extend(section_promises or ())
    if expected == SOLVED:
        done = [s for s in statements if s.get("modality") == MODALITY_DONE]
        future = [s for s in statements if s.get("modality") == MODALITY_PLANNED]
        if not done and len(future) >= A_MIN_FUTURE_STATEMENTS:
            return ClassCheck(classification, A_ALL_FUTURE, tuple(_text(s) for s in future))
        return ClassCheck(classification)
    dated = [p for p in promises if p.get("deadline") and p.get("firm")]
    if len(dated) >= C_MIN_DATED_PROMISES:
        return ClassCheck(classification, FIRM_DATED_PROMISES, tuple(_text(p) for p in dated))
    return ClassCheck(classification)


def check_letter(classification: str | None, letter: Any) -> ClassCheck:
    """``check_class`` on a parsed letter (``parse_letter``'s result) as a whole: every
    statement it makes — the intro's and the prose's outside numbered sections too, where
    a letter often reports its done work — and every promise."""
    return check_class(
        classification,
        [
            (
                [statement.as_dict() for statement in letter.statements],
                [promise.as_dict() for promise in letter.promises],
            )
        ],
    )
