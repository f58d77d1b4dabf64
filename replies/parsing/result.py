"""The parser's output: plain frozen dataclasses, JSON-ready through ``as_dict``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

MODALITY_DONE = "done"
MODALITY_ONGOING = "ongoing"
MODALITY_PLANNED = "planned"

STATUS_FULFILLED = "fulfilled"
STATUS_IN_PROGRESS = "in_progress"
STATUS_NOT_STARTED = "not_started"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _number(value: Decimal) -> int | float:
    # JSON has no decimal type; integral quantities stay ints so "3 家" does not become 3.0.
    if value == value.to_integral_value():
        return int(value)
    return float(value)


@dataclass(frozen=True)
class ParsedCommitment:
    """One sentence of a section, classified by what it says about the action."""

    text: str
    modality: str  # "done" | "ongoing" | "planned"
    deadline: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "modality": self.modality, "deadline": _iso(self.deadline)}


@dataclass(frozen=True)
class ParsedTarget:
    """A quantity promised in a planned sentence, e.g. 3 家 or 260 万平方米."""

    text: str
    quantity: Decimal
    unit: str
    deadline: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "quantity": _number(self.quantity),
            "unit": self.unit,
            "deadline": _iso(self.deadline),
        }


@dataclass(frozen=True)
class ParsedPromise:
    """A statement committing the replying side to future or continuing action.

    ``text`` is copied from the letter (enumeration marker excluded); ``section`` is the
    number of the top-level section holding it (None outside sections); ``deadline`` and
    ``targets`` come from its planned part only; ``firm`` says whether it commits to a
    deadline, a target or a concrete, checkable act rather than a direction of effort.
    """

    text: str
    section: int | None = None
    deadline: date | None = None
    targets: tuple[ParsedTarget, ...] = ()
    firm: bool = False
    paragraph: int = 0  # the letter line it is on, counted from the salutation

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "section": self.section,
            "deadline": _iso(self.deadline),
            "targets": [
                {"text": t.text, "quantity": _number(t.quantity), "unit": t.unit}
                for t in self.targets
            ],
            "firm": self.firm,
        }


@dataclass(frozen=True)
class ParsedSection:
    """A top-level numbered item of the reply (一、 / 1、 / 1. / 一是 / 第一:), or, with
    ``derived``, a paragraph of promises in a letter without numbered sections."""

    number: int
    marker: str
    heading: str | None
    text: str
    topic: str | None
    commitments: tuple[ParsedCommitment, ...] = ()
    targets: tuple[ParsedTarget, ...] = ()
    promises: tuple[ParsedPromise, ...] = ()
    derived: bool = False
    # Set by staff in the import preview: the due date they read, whatever was detected.
    due_override: date | None = None
    edited: bool = False  # staff changed, merged, split or added it in the preview

    @property
    def due_on(self) -> date | None:
        """When the commitment falls due: the latest deadline among planned statements and
        targets of a numbered section; the earliest promise deadline of a derived one (its
        first promise due is the one to check); or the date staff set in the preview."""
        if self.edited or self.due_override is not None:
            return self.due_override
        deadlines = [
            c.deadline
            for c in self.commitments
            if c.modality == MODALITY_PLANNED and c.deadline is not None
        ]
        deadlines += [t.deadline for t in self.targets if t.deadline is not None]
        if not deadlines:
            return None
        return min(deadlines) if self.derived else max(deadlines)

    @property
    def suggested_status(self) -> str:
        """A starting status for the commitment, before anyone posts an update.

        Only reported actions -> fulfilled; anything still running, or a mix of done and
        promised work -> in progress; only promises (or nothing classifiable) -> not started.
        """
        modalities = {c.modality for c in self.commitments}
        if MODALITY_ONGOING in modalities:
            return STATUS_IN_PROGRESS
        if MODALITY_DONE in modalities:
            return STATUS_IN_PROGRESS if MODALITY_PLANNED in modalities else STATUS_FULFILLED
        return STATUS_NOT_STARTED

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "marker": self.marker,
            "heading": self.heading,
            "text": self.text,
            "topic": self.topic,
            "commitments": [c.as_dict() for c in self.commitments],
            "targets": [t.as_dict() for t in self.targets],
            "promises": [p.as_dict() for p in self.promises],
            "due_on": _iso(self.due_on),
            "derived": self.derived,
        }


REPLY_ROLE_ANSWER = "answer"
REPLY_ROLE_CO_OPINION = "co_opinion"  # 会办意见 / 协办意见 to the lead unit
NO_PROMISES_WARNING = "本函未见新的承诺事项"


@dataclass(frozen=True)
class ParsedLetter:
    """Everything read from one reply letter.

    ``promises`` lists every promise in letter order. ``derived_sections`` is filled only
    for a letter without numbered sections: one per paragraph holding a promise, numbered
    from 1, for the importer to store as commitments; a letter with no promise at all gets
    none and the warning NO_PROMISES_WARNING. ``pages`` maps section number -> page for a
    paged input (form feeds in the text, or ``page_breaks``), else None.
    """

    title: str | None = None
    index_number: str | None = None
    session: str | None = None
    proposal_number: str | None = None
    kind: str = "other"  # "proposal" | "suggestion" | "other"
    reply_role: str = REPLY_ROLE_ANSWER  # "answer" | "co_opinion"
    proposal_title: str | None = None
    proposers: tuple[str, ...] = ()
    agency: str | None = None
    reply_date: date | None = None
    doc_number: str | None = None
    classification: str | None = None
    publish_date: date | None = None
    salutation: str | None = None
    intro: str = ""
    sections: tuple[ParsedSection, ...] = ()
    closing: str = ""
    body: str = ""
    warnings: tuple[str, ...] = ()
    promises: tuple[ParsedPromise, ...] = ()
    derived_sections: tuple[ParsedSection, ...] = ()
    # Every statement of the letter (done / ongoing / planned), in letter order: the
    # sections' and those of the prose outside them (the intro, a letter without numbered
    # sections). What the class check reads; not part of ``as_dict``.
    statements: tuple[ParsedCommitment, ...] = ()
    # Left out of the hash: a mapping is not hashable, and the rest identifies the letter.
    pages: dict[int, int] | None = field(default=None, hash=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary; the key order is part of the `parse_letter --json` contract."""
        return {
            "title": self.title,
            "index_number": self.index_number,
            "session": self.session,
            "proposal_number": self.proposal_number,
            "kind": self.kind,
            "reply_role": self.reply_role,
            "proposal_title": self.proposal_title,
            "proposers": list(self.proposers),
            "agency": self.agency,
            "reply_date": _iso(self.reply_date),
            "doc_number": self.doc_number,
            "classification": self.classification,
            "sections": [s.as_dict() for s in self.sections],
            "promises": [p.as_dict() for p in self.promises],
            "derived_sections": [s.as_dict() for s in self.derived_sections],
            "pages": (
                {str(number): page for number, page in self.pages.items()}
                if self.pages is not None
                else None
            ),
            "warnings": list(self.warnings),
        }


# The as_dict() keys, for callers that must emit the same shape without a letter.
LETTER_KEYS: tuple[str, ...] = (
    "title",
    "index_number",
    "session",
    "proposal_number",
    "kind",
    "reply_role",
    "proposal_title",
    "proposers",
    "agency",
    "reply_date",
    "doc_number",
    "classification",
    "sections",
    "promises",
    "derived_sections",
    "pages",
    "warnings",
)
