"""Lines of a letter: the original characters and their normalised copy, same length."""

from __future__ import annotations

from dataclasses import dataclass

from .text import normalize


@dataclass(frozen=True)
class Line:
    orig: str
    norm: str
    page: int = 1  # 1-based page of a paged input (form feeds or page_breaks)


def make_line(raw: str, page: int = 1) -> Line | None:
    norm_full = normalize(raw)
    stripped = norm_full.strip()
    if not stripped:
        return None
    start = len(norm_full) - len(norm_full.lstrip())
    end = start + len(stripped)
    return Line(raw[start:end], norm_full[start:end], page)


def slice_line(line: Line, start: int, end: int | None = None) -> Line | None:
    return make_line(line.orig[start:end], line.page)
