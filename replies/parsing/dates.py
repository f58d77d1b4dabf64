"""Dates as reply letters write them.

Forms seen: 2021年7月9日, 二〇二一年七月九日, 二0一七年八月二十五日, 2021-07-09, 2021.7.9,
2021/7/9 and the bare 20211026 (only trusted when it is a whole line, because an 8-digit
run inside prose is more often a phone or file number).
All functions take *normalised* text (see text.normalize).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import date

from .text import cn_to_int

_CN_NUM = "〇零一二三四五六七八九十O"
_YEAR = rf"(?P<y>(?:19|20)\d{{2}}|[{_CN_NUM}0]{{4}})"
_MONTH = r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})"
_DAY = r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})"

# 2021年7月9日 / 二〇二一年七月九日 (号 is the colloquial 日).
_CN_DATE_RE = re.compile(rf"{_YEAR}\s*年\s*{_MONTH}\s*月\s*{_DAY}\s*[日号]")
# 2021-07-09 / 2021.7.9 / 2021/7/9; digits on both sides are refused so that decimals and
# long numbers are not read as dates.
_NUM_DATE_RE = re.compile(
    r"(?<![\d.])(?P<y>(?:19|20)\d{2})\s*(?P<s>[-/.])\s*(?P<m>\d{1,2})\s*(?P=s)\s*(?P<d>\d{1,2})(?![\d.])"
)
_BARE_DATE_RE = re.compile(r"(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])")
# Clerks also drop the zero padding: 202285 (2022-08-05), 2020824 (2020-08-24).
_SHORT_BARE_DATE_RE = re.compile(r"(?P<y>(?:19|20)\d{2})(?P<rest>\d{2,3})")
# A signature date without its day: 2023年5月 / 二〇二三年五月.
_CN_MONTH_RE = re.compile(
    rf"{_YEAR}\s*年\s*{_MONTH}\s*月(?:\s*[(\[【（][^()\[\]【】（）]{{0,16}}[)\]】）])?"
)
# Time of day that often trails a web date: "2022-12-08 09:37".
_TIME_TAIL_RE = re.compile(r"\s*\d{1,2}:\d{2}(?::\d{2})?\s*$")
# Stamps and notes that can trail a signature date without being part of it.
_DATE_LINE_NOISE_RE = re.compile(r"\s*(?:[(\[【（][^()\[\]【】（）]{0,16}[)\]】）])?\s*")


def _strip_time_tail(line: str) -> str:
    # Only the last characters can hold the time; searching the whole line would make the
    # leading \s* retry at every space of a long line.
    tail = line[-24:]
    m = _TIME_TAIL_RE.search(tail)
    return line[: len(line) - len(tail) + m.start()] if m else line


def _make_date(y: str, m: str, d: str) -> date | None:
    year, month, day = cn_to_int(y), cn_to_int(m), cn_to_int(d)
    if year is None or month is None or day is None:
        return None
    if not (1949 <= year <= 2100):
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iter_dates(norm: str) -> Iterator[tuple[int, int, date]]:
    """Yield (start, end, date) for every written date in a normalised string, in order."""
    found: list[tuple[int, int, date]] = []
    for regex in (_CN_DATE_RE, _NUM_DATE_RE):
        for m in regex.finditer(norm):
            value = _make_date(m.group("y"), m.group("m"), m.group("d"))
            if value is not None:
                found.append((m.start(), m.end(), value))
    found.sort()
    yield from found


def first_date(norm: str) -> date | None:
    """The first date written in the string, or None."""
    for _start, _end, value in iter_dates(norm):
        return value
    return None


def whole_line_date(norm: str) -> date | None:
    """The date when a line holds nothing but a date (as a signature date line does)."""
    line = norm.strip()
    if not line or len(line) > 40:
        return None
    line = _strip_time_tail(line)
    bare = _BARE_DATE_RE.fullmatch(line)
    if bare:
        return _make_date(bare.group("y"), bare.group("m"), bare.group("d"))
    short = _SHORT_BARE_DATE_RE.fullmatch(line)
    if short:
        return _short_bare_date(short.group("y"), short.group("rest"))
    for regex in (_CN_DATE_RE, _NUM_DATE_RE):
        m = regex.search(line)
        if m is None:
            continue
        rest = line[: m.start()] + line[m.end() :]
        if _DATE_LINE_NOISE_RE.fullmatch(rest):
            return _make_date(m.group("y"), m.group("m"), m.group("d"))
    return None


def _short_bare_date(year: str, rest: str) -> date | None:
    """202285 -> 2022-08-05; 2020824 -> 2020-08-24; None when two readings are possible
    (2021111 is 1 November or 11 January): a wrong date is worse than none."""
    splits = (
        [(rest[:1], rest[1:])] if len(rest) == 2 else [(rest[:1], rest[1:]), (rest[:2], rest[2:])]
    )
    readings = {
        value
        for m, d in splits
        if not m.startswith("0") and not d.startswith("0")
        for value in [_make_date(year, m, d)]
        if value is not None
    }
    return readings.pop() if len(readings) == 1 else None


def whole_line_month(norm: str) -> tuple[int, int] | None:
    """(year, month) when a line holds nothing but a date without its day (2023年5月)."""
    line = norm.strip()
    if not line or len(line) > 30:
        return None
    m = _CN_MONTH_RE.fullmatch(line)
    if m is None:
        return None
    year, month = cn_to_int(m.group("y")), cn_to_int(m.group("m"))
    if year is None or month is None or not (1949 <= year <= 2100 and 1 <= month <= 12):
        return None
    return year, month


def trailing_date(norm: str) -> tuple[str, date] | None:
    """Split 'org name  2021年7月9日' into (prefix, date) when a line ends with a date."""
    line = _strip_time_tail(norm.rstrip())
    # A written date is at most a few dozen characters: only the end of the line is read,
    # which keeps this cheap on the long paragraphs it is also asked about.
    offset = max(0, len(line) - 48)
    tail = line[offset:]
    best: tuple[str, date] | None = None
    for regex in (_CN_DATE_RE, _NUM_DATE_RE):
        for m in regex.finditer(tail):
            if tail[m.end() :].strip():
                continue
            value = _make_date(m.group("y"), m.group("m"), m.group("d"))
            if value is not None and (best is None or offset + m.start() < len(best[0])):
                best = (line[: offset + m.start()], value)
    return best


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def year_end(year: int) -> date:
    return date(year, 12, 31)
