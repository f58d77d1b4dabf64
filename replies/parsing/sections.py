"""Numbered sections: which line markers make the top-level list, and each item's heading."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import whole_line_date
from .lines import Line
from .text import cn_to_int

_CN = "一二三四五六七八九十"
_MARKER_RES: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    # (style, rank, regex); a lower rank is a higher level in the usual hierarchy.
    ("cn", 0, re.compile(rf"^(?P<n>[{_CN}]{{1,3}})\s*[、.]")),
    (
        "di",
        1,
        re.compile(
            rf"^第(?P<n>[{_CN}]{{1,3}})(?P<more>(?:\s*[、,]\s*第[{_CN}]{{1,3}})*)\s*[:、,.]"
        ),
    ),
    ("ar_dun", 2, re.compile(r"^(?P<n>\d{1,2})\s*、")),
    # '1.' but not the decimal '1.5'; '1.2017年' is item 1 followed by a year.
    ("ar_dot", 2, re.compile(r"^(?P<n>\d{1,2})\.(?:(?!\d)|(?=(?:19|20)\d{2}\s*年))")),
    ("shi", 3, re.compile(rf"^(?P<n>[{_CN}]{{1,3}})是(?=[^\s,.:;、。])")),
)


@dataclass(frozen=True)
class Marker:
    index: int  # line index in the content
    style: str
    rank: int
    first: int  # 0: a bare '、' whose numeral was lost, standing for the next number
    last: int
    length: int  # characters of the marker in the line


# '、关于…' at the start of a line: the numeral of a 一、 item lost in the page's markup.
_BARE_DUN_RE = re.compile(r"^、\s*(?=[^\s、,.:;。])")


def marker_at(index: int, norm: str) -> Marker | None:
    if whole_line_date(norm):
        return None
    bare = _BARE_DUN_RE.match(norm)
    if bare:
        return Marker(index, "cn", 0, 0, 0, bare.end())
    for style, rank, regex in _MARKER_RES:
        m = regex.match(norm)
        if not m:
            continue
        first = cn_to_int(m.group("n"))
        if not first:
            continue
        last = first
        if style == "di" and m.group("more"):
            numbers = re.findall(rf"[{_CN}]{{1,3}}", m.group("more"))
            last = cn_to_int(numbers[-1]) or first
            if last <= first:
                last = first
        return Marker(index, style, rank, first, last, m.end())
    return None


# A lost numeral is a rare accident: a run of bare '、' lines is not a list of sections.
_MAX_BARE = 2


def choose_sections(markers: list[Marker]) -> list[Marker]:
    """The top-level list: a consecutive run 1, 2, 3… of one marker style.

    Styles that restart at 1 are nested sub-lists; they are used only when no style runs
    straight through. Among the rest the usual hierarchy (一、 > 第一 > 1. > 一是) decides,
    then the earlier start. A bare '、' inside a run of 一、 items stands for the number
    that is due there.
    """
    by_style: dict[str, list[Marker]] = {}
    for marker in markers:
        by_style.setdefault(marker.style, []).append(marker)
    options: list[tuple[bool, int, int, list[Marker]]] = []
    for items in by_style.values():
        run: list[Marker] = []
        expected = 1
        restarted = False
        last_at = {m.first: k for k, m in enumerate(items)}
        bare = 0
        for k, marker in enumerate(items):
            if marker.first == 0:
                # Only where the number due is missing: a '、' line inside a broken
                # enumeration before the real 二、 is not an item.
                if run and last_at.get(expected, -1) < k and bare < _MAX_BARE:
                    bare += 1
                    run.append(marker)
                    expected += 1
                continue
            if marker.first == expected:
                run.append(marker)
                expected = marker.last + 1
            elif marker.first == 1 and run:
                restarted = True
                break
        if len(run) >= 2:
            options.append((restarted, run[0].rank, run[0].index, run))
    if not options:
        return []
    options.sort(key=lambda o: (o[0], o[1], o[2]))
    return options[0][3]


_TRAILING_STOP_RE = re.compile(r"[。.:\s]+$")
# The same on original text, where the stop may be full-width.
_HEADING_TAIL_RE = re.compile(r"[。．.:：\s]+$")
_QUOTED_PART_RE = re.compile(r"“[^“”]*”|《[^《》]*》|\"[^\"]*\"")


def _title_like(norm: str, limit: int) -> bool:
    if len(norm) > limit + 8:
        return False  # also keeps the trailing-stop regex away from long lines
    core = _TRAILING_STOP_RE.sub("", norm)
    if not core or len(core) > limit:
        return False
    bare = _QUOTED_PART_RE.sub("", core)
    return not re.search(r"[,;。!?]", bare) and not whole_line_date(core)


@dataclass(frozen=True)
class Heading:
    text: str | None = None
    taken: int = 0  # characters of the first line it takes (its closing 。 or : included)
    whole: bool = False  # the heading is the whole first line
    run_in: bool = False  # no punctuation between the heading and the prose it runs into


_QUOTE_OPEN = '“《「"'
_QUOTE_CLOSE = '”》」"'
# Words that open a sentence ('…建设截止2024年底,已建成…'): where a heading printed
# without its full stop ends.
_RUN_IN_OPENER_RE = re.compile(
    r"截至|截止|目前|近年来|近年|今年以来|今年|去年|我局|我们|我市|我县|我区|我委|"
    r"我厅|我单位|本局|相信|根据|按照|针对|由于|(?:19|20)\d{2}\s*年"
)
_ABOUT_RUN_IN_RE = re.compile(r"(?:问题|建议|事宜|事项)(?=" + _RUN_IN_OPENER_RE.pattern + ")")
# A clause, not a heading, opens with these ('经多方协调我局…').
_CLAUSE_START_RE = re.compile(
    r"经|为了?|在|对|根据|按照|针对|通过|由于|随着|自|从|截至|截止|目前|近年|今年|去年|该|此|这|如|若|因"
)
# A heading ends on a noun or a verb's object, never on a modal or a function word.
_NOT_A_HEADING_END = frozenset("要应需可能会是的在对将把被由与和及等向于从为")
_HEADING_PUNCT_RE = re.compile(r"[,;:。!?、\s“”《》()\"]")


def split_heading(first: Line | None, rest: list[Line]) -> Heading:
    """The heading of a section from its first line (marker removed) and the lines after."""
    if first is None:
        if rest and len(rest) > 1 and _title_like(rest[0].norm, 40):
            return Heading(_strip_heading(rest[0].orig), 0, True)
        return Heading()
    norm = first.norm
    # A line ending in a full stop is a sentence, not a title; a title-like line standing
    # alone where a cut-off page ends ('三、加快智慧停') is a heading all the same.
    if (
        _title_like(norm, 40)
        and not re.search(r"[。!?;,]$", norm)
        and (rest or not _SENTENCE_WORDS_RE.search(norm))
    ):
        return Heading(_strip_heading(first.orig), len(norm), True)
    # Inline heading: a short phrase closed by 。 or : before the item's prose.
    depth = 0
    for pos, ch in enumerate(norm[:41]):
        if ch in _QUOTE_OPEN and not (ch == '"' and depth):
            depth += 1
        elif ch in _QUOTE_CLOSE and depth:
            depth -= 1
        elif depth == 0 and ch in "。:":
            head = norm[:pos]
            if (
                0 < len(head) <= 35
                and _title_like(head, 35)
                and not _SENTENCE_WORDS_RE.search(_QUOTED_PART_RE.sub("", head))
                and norm[pos + 1 :].strip()
            ):
                return Heading(_strip_heading(first.orig[:pos]), pos + 1)
            break
        elif depth == 0 and ch in ",;":
            break
    return _run_in_heading(first)


def _run_in_heading(first: Line) -> Heading:
    """A heading printed without its full stop: '加快推进停车场建设截止2024年底,已建成…',
    '关于尽快…彻底解决黑臭水体问题相信水利部门会…'. Only a sentence opener right after the
    heading's last character marks the boundary."""
    norm = first.norm
    if norm.startswith("关于"):
        m = _ABOUT_RUN_IN_RE.search(norm, 4, 200)
        if m and "。" not in norm[: m.end()] and m.end() < len(norm):
            return Heading(_strip_heading(first.orig[: m.end()]), m.end(), run_in=True)
        return Heading()
    for m in _RUN_IN_OPENER_RE.finditer(norm, 4, 30):
        head = norm[: m.start()]
        if (
            len(head) > 20
            or _CLAUSE_START_RE.match(head)
            or _HEADING_PUNCT_RE.search(head)
            or _SENTENCE_WORDS_RE.search(head)
            or head[-1] in _NOT_A_HEADING_END
        ):
            break
        return Heading(_strip_heading(first.orig[: m.start()]), m.start(), run_in=True)
    return Heading()


# Headings are nominal or imperative ("加强规划引领"); a clause with a subject or an aspect
# marker ("我们已完成调研") is the first sentence of a paragraph-style item instead.
_SENTENCE_WORDS_RE = re.compile(r"我|您|你|他|她|其|已|将|了|正在|目前|现在|经过")


def _strip_heading(text: str) -> str:
    return _HEADING_TAIL_RE.sub("", text.strip())
