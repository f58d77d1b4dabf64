"""parse_letter: letter text -> ParsedLetter.

The letter is read as a list of lines (page chrome removed) and cut into consecutive
parts: header (title, metadata, doc number) | salutation | intro | numbered sections |
closing (thanks, signature, date, contacts). Because the parts are consecutive slices,
every kept character of the letter lands in exactly one of them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from . import fields
from .commitments import reference_year, statements
from .dates import first_date, trailing_date, whole_line_date, whole_line_month
from .html_text import html_to_text, looks_like_html
from .promises import KIND_PROMISE, DateContext, Paragraph, Unit, detect
from .result import (
    NO_PROMISES_WARNING,
    REPLY_ROLE_ANSWER,
    REPLY_ROLE_CO_OPINION,
    ParsedLetter,
    ParsedPromise,
    ParsedSection,
)
from .text import (
    cn_to_int,
    is_chrome_line,
    normalize,
    opens_bracket_run,
    squeeze,
    starts_page_tail,
)
from .topics import TopicMatcher, matcher_for

# Longer input is cut: a reply letter is a few thousand characters, and the cap keeps the
# worst case (a pasted book, a binary blob) within a second or two.
MAX_CHARS = 1_000_000
# How far into the intro the citation, session and number are looked for.
_INTRO_HEAD = 3000


@dataclass(frozen=True)
class _Line:
    orig: str
    norm: str
    page: int = 1  # 1-based page of a paged input (form feeds or page_breaks)


def _make_line(raw: str, page: int = 1) -> _Line | None:
    norm_full = normalize(raw)
    stripped = norm_full.strip()
    if not stripped:
        return None
    start = len(norm_full) - len(norm_full.lstrip())
    end = start + len(stripped)
    return _Line(raw[start:end], norm_full[start:end], page)


def _slice_line(line: _Line, start: int, end: int | None = None) -> _Line | None:
    return _make_line(line.orig[start:end], line.page)


# ---------------------------------------------------------------------------
# Chrome removal
# ---------------------------------------------------------------------------

_SOURCE_RE = re.compile(r"来源\s*:\s*(?P<v>[^\s:|]+)")
_PAGE_INFO_RE = re.compile(r"发布|时间|日期|来源|点击|浏览|阅读|作者")
# Labels that site footers also use ('主办单位:某某市人民政府'); above the letter they are
# the page's metadata about the reply, so they are kept there.
_HEADER_ONLY_LABELS = frozenset({"主办单位", "承办单位", "答复单位", "办理单位"})


@dataclass
class _PageInfo:
    source: str | None = None
    publish_date: date | None = None


def _widget_rest(norm: str) -> bool:
    """A short line left of a '字号:[ 大 中 小 ]' widget spread over several lines."""
    return "]" in norm or "】" in norm or is_chrome_line(norm) or norm in "[【"


def _keep_lines(text: str, breaks: Sequence[int] = ()) -> tuple[list[_Line], _PageInfo]:
    kept: list[_Line] = []
    info = _PageInfo()
    in_tail = False
    bracket_skip = 0
    seen_prose = False
    seen_text = False  # a sentence of the letter went by: labels below it are the footer's
    offset = 0
    for raw_end in text.splitlines(keepends=True):
        line_start = offset
        offset += len(raw_end)
        if in_tail:
            break
        page = bisect_right(breaks, line_start) + 1 if breaks else 1
        line = _make_line(raw_end.rstrip("\r\n\f\v\x1c\x1d\x1e\x85\u2028\u2029"), page)
        if line is None:
            continue
        if bracket_skip:
            if len(line.norm) <= 6 and _widget_rest(line.norm):
                if "]" in line.norm or "】" in line.norm:
                    bracket_skip = 0
                else:
                    bracket_skip -= 1
                continue
            bracket_skip = 0
        if is_chrome_line(line.norm) and not (not seen_text and _header_label(line.norm)):
            _harvest_page_info(line, info)
            if opens_bracket_run(line.norm):
                bracket_skip = 6
            if seen_prose and starts_page_tail(line.norm):
                in_tail = True
            continue
        kept.append(line)
        if "。" in line.norm:
            seen_text = True
            if len(line.norm) >= 40:
                seen_prose = True
    return kept, info


_FOOTER_WORDS_RE = re.compile(r"技术支持|ICP|版权|网站|备案|地址")


def _header_label(norm: str) -> bool:
    cells = fields.label_cells(norm)
    return (
        bool(cells) and cells[0].label in _HEADER_ONLY_LABELS and not _FOOTER_WORDS_RE.search(norm)
    )


_SENTENCE_END_RE = re.compile(r"[。!?]")


def _split_run_on_signature(line: _Line) -> list[_Line]:
    """Split '…感谢您的关心。某某局 2021年8月1日' (a letter pasted as one paragraph) so
    that the signature is a line of its own."""
    if len(line.norm) <= 45:
        return [line]
    split = trailing_date(line.norm)
    if split is None:
        return [line]
    ends = list(_SENTENCE_END_RE.finditer(split[0]))
    if not ends:
        return [line]
    cut = ends[-1].end()
    signer = split[0][cut:].strip()
    if signer and not fields.looks_like_org(signer):
        return [line]
    parts = [_make_line(line.orig[:cut], line.page)]
    if signer:
        org_end = len(split[0].rstrip())
        parts += [
            _make_line(line.orig[cut:org_end], line.page),
            _make_line(line.orig[org_end:], line.page),
        ]
    else:
        parts.append(_make_line(line.orig[cut:], line.page))
    return [p for p in parts if p is not None]


def _harvest_page_info(line: _Line, info: _PageInfo) -> None:
    # Page info bars ('发布时间:… 来源:… 阅读次数:') are chrome, but they name the
    # publisher and the web publication date, which are worth keeping as fallbacks.
    # Links to other letters (上一条:…) are not about this page.
    if not _PAGE_INFO_RE.search(line.norm) or starts_page_tail(line.norm):
        return
    m = _SOURCE_RE.search(line.norm)
    if m and info.source is None and not fields.is_label_name(m.group("v")):
        info.source = line.orig[m.start("v") : m.end("v")]
    if info.publish_date is None:
        info.publish_date = first_date(line.norm)


# ---------------------------------------------------------------------------
# Numbered sections
# ---------------------------------------------------------------------------

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
class _Marker:
    index: int  # line index in the content
    style: str
    rank: int
    first: int  # 0: a bare '、' whose numeral was lost, standing for the next number
    last: int
    length: int  # characters of the marker in the line


# '、关于…' at the start of a line: the numeral of a 一、 item lost in the page's markup.
_BARE_DUN_RE = re.compile(r"^、\s*(?=[^\s、,.:;。])")


def _marker_at(index: int, norm: str) -> _Marker | None:
    if whole_line_date(norm):
        return None
    bare = _BARE_DUN_RE.match(norm)
    if bare:
        return _Marker(index, "cn", 0, 0, 0, bare.end())
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
        return _Marker(index, style, rank, first, last, m.end())
    return None


def _choose_sections(markers: list[_Marker]) -> list[_Marker]:
    """The top-level list: a consecutive run 1, 2, 3… of one marker style.

    Styles that restart at 1 are nested sub-lists; they are used only when no style runs
    straight through. Among the rest the usual hierarchy (一、 > 第一 > 1. > 一是) decides,
    then the earlier start. A bare '、' inside a run of 一、 items stands for the number
    that is due there.
    """
    by_style: dict[str, list[_Marker]] = {}
    for marker in markers:
        by_style.setdefault(marker.style, []).append(marker)
    options: list[tuple[bool, int, int, list[_Marker]]] = []
    for items in by_style.values():
        run: list[_Marker] = []
        expected = 1
        restarted = False
        for marker in items:
            if marker.first == 0:
                if run:
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
class _Heading:
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


def _split_heading(first: _Line | None, rest: list[_Line]) -> _Heading:
    """The heading of a section from its first line (marker removed) and the lines after."""
    if first is None:
        if rest and len(rest) > 1 and _title_like(rest[0].norm, 40):
            return _Heading(_strip_heading(rest[0].orig), 0, True)
        return _Heading()
    norm = first.norm
    # A line ending in a full stop is a sentence, not a title; a title-like line standing
    # alone where a cut-off page ends ('三、加快智慧停') is a heading all the same.
    if (
        _title_like(norm, 40)
        and not re.search(r"[。!?;,]$", norm)
        and (rest or not _SENTENCE_WORDS_RE.search(norm))
    ):
        return _Heading(_strip_heading(first.orig), len(norm), True)
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
                return _Heading(_strip_heading(first.orig[:pos]), pos + 1)
            break
        elif depth == 0 and ch in ",;":
            break
    return _run_in_heading(first)


def _run_in_heading(first: _Line) -> _Heading:
    """A heading printed without its full stop: '加快推进停车场建设截止2024年底,已建成…',
    '关于尽快…彻底解决黑臭水体问题相信水利部门会…'. Only a sentence opener right after the
    heading's last character marks the boundary."""
    norm = first.norm
    if norm.startswith("关于"):
        m = _ABOUT_RUN_IN_RE.search(norm, 4, 200)
        if m and "。" not in norm[: m.end()] and m.end() < len(norm):
            return _Heading(_strip_heading(first.orig[: m.end()]), m.end(), run_in=True)
        return _Heading()
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
        return _Heading(_strip_heading(first.orig[: m.start()]), m.start(), run_in=True)
    return _Heading()


# Headings are nominal or imperative ("加强规划引领"); a clause with a subject or an aspect
# marker ("我们已完成调研") is the first sentence of a paragraph-style item instead.
_SENTENCE_WORDS_RE = re.compile(r"我|您|你|他|她|其|已|将|了|正在|目前|现在|经过")


def _strip_heading(text: str) -> str:
    return _HEADING_TAIL_RE.sub("", text.strip())


# ---------------------------------------------------------------------------
# Closing and signature
# ---------------------------------------------------------------------------


_UNREADABLE_DATE_RE = re.compile(
    r"(?:19|20)\d{3,6}|[0-9〇零一二三四五六七八九十]{0,6}年?[0-9一二三四五六七八九十]{0,3}月?"
    r"[0-9一二三四五六七八九十]{1,3}[日号]"
)


@dataclass(frozen=True)
class _DateLine:
    prefix: str | None  # an agency written before the date on the same line
    value: date | None  # None: a date without its day (2023年5月), which gives no reply date
    year: int | None = None


def _date_line(line: _Line) -> _DateLine | None:
    """The signature date of a line that holds one (maybe after the agency's name)."""
    value = whole_line_date(line.norm)
    if value is not None:
        return _DateLine(None, value, value.year)
    month = whole_line_month(line.norm)
    if month is not None:
        return _DateLine(None, None, month[0])
    if _UNREADABLE_DATE_RE.fullmatch(line.norm):
        # A signature date that cannot be read for sure ('2021111', '0二十六日'): still the
        # signature's date line, but no date.
        year = re.match(r"(?:19|20)\d{2}", line.norm)
        return _DateLine(None, None, int(year.group()) if year else None)
    split = trailing_date(line.norm)
    if split is not None:
        prefix = split[0].strip()
        if prefix and fields.looks_like_org(prefix):
            return _DateLine(line.orig[: len(prefix)].strip(), split[1], split[1].year)
    return None


# A footnote after the signature ('注:办复类别共分ABC三类。' and its lines of definitions)
# runs to the end of the page, full stops and all.
_FOOTNOTE_START_RE = re.compile(r"^(?:注|备注|附注|说明|注释)\s*[:0-9①]")


def _closing_start(content: list[_Line], lower: int) -> int:
    """Index where the closing begins.

    Everything from the signature date on is closing (contacts, notes, footnotes follow it);
    above it, the scan goes back over thanks, signature and contact lines.
    """
    i = len(content)
    for j in range(len(content) - 1, max(lower, len(content) - 15) - 1, -1):
        if _date_line(content[j]) is not None:
            # A date line followed by prose is a date inside the letter, not its signature.
            if _all_trailers(content[j + 1 :]):
                i = j
            break
    while i > lower:
        line = content[i - 1]
        norm = line.norm
        next_is_date = i < len(content) and _date_line(content[i]) is not None
        if (
            fields.is_closing_phrase(norm)
            or _date_line(line) is not None
            or (len(norm) <= 30 and fields.looks_like_org(norm))
            or (next_is_date and fields.looks_like_org(norm, strict=False))
            or (len(norm) <= 60 and fields.label_cells(norm) is not None)
        ):
            i -= 1
            continue
        break
    return i


def _all_trailers(lines: list[_Line]) -> bool:
    for k, line in enumerate(lines):
        if _FOOTNOTE_START_RE.match(line.norm):
            return all(len(ln.norm) <= 200 for ln in lines[k:])
        if not _is_trailer(line.norm):
            return False
    return True


def _is_trailer(norm: str) -> bool:
    """Lines that may follow a signature date: contacts, 抄送, notes, stamps, short labels."""
    return (
        fields.is_closing_phrase(norm)
        or _date_line(_Line(norm, norm)) is not None
        or fields.looks_like_org(norm, strict=False)
        or ("。" not in norm and len(norm) <= 60)
    )


@dataclass
class _Signature:
    agency: str | None = None
    reply_date: date | None = None
    dated: bool = False  # a signature date line was found, with or without its day
    year: int | None = None


def _signature(closing: list[_Line]) -> _Signature:
    sig = _Signature()
    date_at = None
    for i in range(len(closing) - 1, -1, -1):
        found = _date_line(closing[i])
        if found is not None:
            date_at = i
            sig.reply_date = found.value
            sig.dated = True
            sig.year = found.year
            if found.prefix:
                sig.agency = fields.clean_org(found.prefix)
            break
    if sig.agency is not None:
        return sig
    if date_at is not None:
        for strict in (True, False):
            for j in range(date_at - 1, max(-1, date_at - 4), -1):
                if fields.label_cells(closing[j].norm) is not None:
                    continue
                if fields.looks_like_org(closing[j].norm, strict=strict):
                    sig.agency = fields.clean_org(closing[j].orig)
                    return sig
        if date_at + 1 < len(closing) and fields.looks_like_org(closing[date_at + 1].norm):
            sig.agency = fields.clean_org(closing[date_at + 1].orig)
        return sig
    for line in reversed(closing):
        if fields.label_cells(line.norm) is None and fields.looks_like_org(line.norm):
            sig.agency = fields.clean_org(line.orig)
            break
    return sig


# ---------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------

_INTRO_START_RE = re.compile(r"收悉|答复如下|回复如下|现答复|现将.{0,40}答复|^(?:您|你)")


@dataclass
class _Header:
    lines: list[_Line]
    free: list[_Line]  # lines that are not label/value lines
    meta: fields.Metadata
    title: str | None


def _read_header(lines: list[_Line]) -> _Header:
    meta = fields.Metadata()
    free: list[_Line] = []
    consumed: set[int] = set()
    for i, line in enumerate(lines):
        if i in consumed:
            continue
        cells = fields.label_cells(line.norm)
        if cells is None:
            free.append(line)
            source = _SOURCE_RE.search(line.norm)
            if source and not fields.is_label_name(source.group("v")):
                meta.put("source", line.orig[source.start("v") : source.end("v")])
            continue
        if len(cells) >= 2 and all(c.start == c.end and not c.colon for c in cells):
            # A table header row ('承办单位 答复日期 答复内容') with the values below it.
            values: list[int] = []
            j = i + 1
            while j < len(lines) and len(values) < len(cells):
                if fields.label_cells(lines[j].norm) is not None:
                    break
                values.append(j)
                j += 1
            _assign_columns(cells, [lines[j] for j in values], meta)
            consumed.update(values)
            continue
        for cell in cells:
            meta.put(cell.field, line.orig[cell.start : cell.end].strip())
    title = None
    found = fields.find_title([ln.norm for ln in free])
    if found is not None:
        first, last = found
        parts: list[str] = []
        for ln in free[first : last + 1]:
            if not parts or ln.orig != parts[-1]:
                parts.append(ln.orig)
        title = "".join(parts)
    return _Header(lines, free, meta, title)


def _assign_columns(
    cells: list[fields.LabelCell], values: list[_Line], meta: fields.Metadata
) -> None:
    if len(values) == len(cells):
        for cell, value in zip(cells, values, strict=True):
            meta.put(cell.field, value.orig)
        return
    # Fewer values than columns (empty cells dropped when the table was flattened): dates
    # go to date columns, the other values to the other columns in order.
    dates = [v for v in values if whole_line_date(v.norm)]
    others = [v for v in values if not whole_line_date(v.norm)]
    for cell in cells:
        pool = dates if cell.field in fields.DATE_FIELDS else others
        if pool:
            meta.put(cell.field, pool.pop(0).orig)


# ---------------------------------------------------------------------------
# parse_letter
# ---------------------------------------------------------------------------


def parse_letter(
    text: str,
    *,
    topics: Mapping[str, Sequence[str]] | None = None,
    page_breaks: Sequence[int] | None = None,
) -> ParsedLetter:
    """Parse one reply letter (plain text or HTML). Never raises on any str.

    ``topics`` (key -> keywords) replaces DEFAULT_TOPICS for tagging sections.
    ``page_breaks`` are the offsets in ``text`` where a new page begins (a PDF reader's
    output); without them, form feeds (\\f) in the text mark the page breaks. For a paged
    input, ``pages`` maps each section number to the page it starts on.
    """
    try:
        return _parse(text, topics, page_breaks)
    except Exception as exc:  # noqa: BLE001 - callers rely on a result for any input
        body = text[:MAX_CHARS] if isinstance(text, str) else ""
        return ParsedLetter(body=body, intro=body, warnings=(f"解析出错：{type(exc).__name__}",))


def _breaks(text: str, page_breaks: Sequence[int] | None) -> list[int]:
    if page_breaks is not None:
        return sorted({int(b) for b in page_breaks if 0 < int(b) <= len(text)})
    return [m.end() for m in re.finditer("\f", text)]


def _parse(
    text: str, topics: Mapping[str, Sequence[str]] | None, page_breaks: Sequence[int] | None
) -> ParsedLetter:
    warnings: list[str] = []
    if not isinstance(text, str):
        text = ""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        warnings.append(f"文本过长，只解析了前 {MAX_CHARS} 个字符")
    if looks_like_html(text):
        text = html_to_text(text)
        page_breaks = None
    breaks = _breaks(text, page_breaks)
    kept, page = _keep_lines(text, breaks)
    if kept:
        kept[-1:] = _split_run_on_signature(kept[-1])
    body = "\n".join(line.orig for line in kept)
    if not kept:
        return ParsedLetter(body=body, warnings=(*warnings, "没有可解析的文字"))

    parts = _split_letter(kept)
    header = _read_header(parts.header)
    meta = header.meta
    content = parts.content

    # Sections first, then the closing below the last of them; the intro is what is left.
    chosen = _choose_sections(
        [m for i, ln in enumerate(content) if (m := _marker_at(i, ln.norm)) is not None]
    )
    closing_at = _closing_start(content, chosen[-1].index + 1 if chosen else 0)
    intro_lines = content[: chosen[0].index if chosen else closing_at]
    closing_lines = content[closing_at:]
    intro_norm = "\n".join(ln.norm for ln in intro_lines)

    sig = _signature(closing_lines)
    reply_date = _reply_date(sig, meta, warnings)
    title = header.title or meta.get("info_title")
    agency = _agency(sig, meta, _body_labels(content), page, header, title, warnings)
    publish_value = meta.get("publish_date")
    publish_date = (first_date(normalize(publish_value)) if publish_value else None) or (
        page.publish_date
    )

    # Who and what the letter answers: title and metadata first, then the intro.
    info_title = meta.get("info_title") or ""
    sources = [
        normalize(title or ""),
        normalize(info_title),
        "\n".join(ln.norm for ln in parts.header),
        intro_norm[:_INTRO_HEAD],
    ]
    session = None
    for source in (*sources[:2], normalize(meta.get("session") or ""), *sources[2:]):
        session = fields.find_session(source)
        if session:
            break
    number = fields.find_number(sources)
    if number is None and meta.get("number"):
        number = squeeze(normalize(meta.get("number") or "")).strip("第号") or None
    if number is None:
        number = _number_after_session(parts.header)
    role = _reply_role(sources)
    kind = fields.find_kind("\n".join((sources[0], sources[2], sources[3])), parts.names)
    if role == REPLY_ROLE_CO_OPINION:
        # A co-handler's opinion goes to the lead unit, not to the proposer: it is not
        # itself a reply to a proposal or a suggestion.
        kind = "other"
    proposal_title = _proposal_title(intro_lines, intro_norm, meta, title, info_title)
    proposers = fields.proposer_names(parts.names) if parts.names else []
    if not proposers and len(meta.get("proposers") or "") <= 100:
        proposers = fields.proposer_names(normalize(meta.get("proposers") or ""))
    if not proposers and not _names_a_person(parts.names):
        proposers = fields.proposers_in_intro(intro_norm)

    for missing, warning in (
        (session is None, "未找到届次"),
        (number is None, "未找到提案（建议）编号"),
        (kind == "other" and role != REPLY_ROLE_CO_OPINION, "无法判断是政协提案还是人大代表建议"),
        (proposal_title is None, "未找到提案（建议）标题"),
        (not proposers, "未找到提案人（或已匿名）"),
    ):
        if missing:
            warnings.append(warning)

    # The letter's own words date it; a page's publication line comes later than the reply.
    ref_year = reference_year(
        reply_date, "\n".join([normalize(title or ""), *(ln.norm for ln in content)])
    )
    if reply_date is None and sig.year is not None:
        ref_year = sig.year
    matcher = matcher_for(topics)
    spans = [
        (marker, content[marker.index : chosen[k + 1].index if k + 1 < len(chosen) else closing_at])
        for k, marker in enumerate(chosen)
    ]
    paragraphs, headings = _paragraphs(intro_lines, spans)
    units = detect(paragraphs, DateContext(reply_date, ref_year))
    promises = tuple(
        ParsedPromise(u.text, u.section, u.deadline, u.targets, u.firm, u.paragraph)
        for u in units
        if u.kind == KIND_PROMISE
    )
    sections = [
        _section(
            k + 1,
            marker,
            lines,
            headings[k],
            [u for u in units if u.section == k + 1],
            ref_year,
            matcher,
        )
        for k, (marker, lines) in enumerate(spans)
    ]
    derived = () if sections else _derived_sections(paragraphs, units, ref_year, matcher)
    if not promises:
        warnings.append(NO_PROMISES_WARNING)
    pages = {k + 1: lines[0].page for k, (_m, lines) in enumerate(spans)} if breaks else None

    return ParsedLetter(
        title=title,
        index_number=meta.get("index_number"),
        session=session,
        proposal_number=number,
        kind=kind,
        reply_role=role,
        proposal_title=proposal_title,
        proposers=tuple(proposers),
        agency=agency,
        reply_date=reply_date,
        doc_number=_doc_number(header, meta),
        classification=_classification(header, meta, closing_lines),
        publish_date=publish_date,
        salutation=parts.salutation,
        intro="\n".join(ln.orig for ln in intro_lines),
        sections=tuple(sections),
        closing="\n".join(ln.orig for ln in closing_lines),
        body=body,
        warnings=tuple(warnings),
        promises=promises,
        derived_sections=derived,
        pages=pages,
    )


_CO_OPINION_RE = re.compile(r"(?:会办|协办)(?:单位)?(?:意见|的意见)")


def _reply_role(sources: Sequence[str]) -> str:
    """co_opinion for a co-handler's opinion to the lead unit (会办意见 / 协办意见)."""
    head = "\n".join((sources[0], sources[1], sources[2], sources[3][:400]))
    return REPLY_ROLE_CO_OPINION if _CO_OPINION_RE.search(squeeze(head)) else REPLY_ROLE_ANSWER


_PERSON_RE = re.compile(r"委员|代表|同志|先生|女士|老师")


def _names_a_person(names: str | None) -> bool:
    return bool(names and _PERSON_RE.search(names))


_BARE_NUMBER_RE = re.compile(r"[A-Za-z]{0,3}\d{2,20}")


def _number_after_session(header: list[_Line]) -> str | None:
    """A database-style header prints the number alone under the session line:
    '博山区政协十三届四次会议' / '134105'."""
    for i, line in enumerate(header[:-1]):
        if fields.find_session(line.norm) and _BARE_NUMBER_RE.fullmatch(header[i + 1].norm):
            return header[i + 1].norm
    return None


@dataclass
class _Parts:
    header: list[_Line]
    content: list[_Line]  # everything after the salutation
    salutation: str | None = None
    names: str | None = None  # the addressee part of the salutation (normalised)


def _split_letter(kept: list[_Line]) -> _Parts:
    """Cut the kept lines at the salutation (or, without one, where the letter starts)."""
    for i, line in enumerate(kept):
        following = kept[i + 1].norm if i + 1 < len(kept) else None
        found = fields.salutation_at(line.norm, following)
        if found is not None:
            rest = _slice_line(line, found.end)
            return _Parts(
                header=kept[:i],
                content=([rest] if rest else []) + kept[i + 1 :],
                salutation=line.orig[: found.end].strip(),
                names=found.names,
            )
        if "。" in line.norm and len(line.norm) >= 50:
            break  # prose started: a salutation comes before the letter's first paragraph
    start = _intro_start(kept)
    return _Parts(header=kept[:start], content=kept[start:])


def _reply_date(sig: _Signature, meta: fields.Metadata, warnings: list[str]) -> date | None:
    """The signature date, else 答复日期/成文日期; never the web publication date."""
    if sig.reply_date is not None:
        return sig.reply_date
    for key, label in (("reply_date", "答复日期"), ("written_date", "成文日期")):
        value = meta.get(key)
        parsed = first_date(normalize(value)) if value else None
        if parsed is not None:
            warnings.append(f"落款没有日期，答复日期取自“{label}”")
            return parsed
    warnings.append("未找到答复日期")
    return None


def _body_labels(content: list[_Line]) -> fields.Metadata:
    """Label lines below the salutation ('承办单位:…' beside the signature block)."""
    meta = fields.Metadata()
    for line in content:
        if len(line.norm) > 60:
            continue
        for cell in fields.label_cells(line.norm) or ():
            meta.put(cell.field, line.orig[cell.start : cell.end].strip())
    return meta


def _org_value(value: str | None, strict: bool = True) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value if fields.looks_like_org(normalize(value), strict=strict) else None


_TITLE_ORG_RE = re.compile(r"关于|对")


def _title_org(title: str | None) -> str | None:
    """'重庆市长寿区教育委员会关于…的复函': the body named before 关于 in the title."""
    if not title:
        return None
    norm = normalize(title)
    m = _TITLE_ORG_RE.search(norm)
    if m is None or m.start() < 2:
        return None
    return _org_value(title[: m.start()])


def _agency(
    sig: _Signature,
    meta: fields.Metadata,
    body_meta: fields.Metadata,
    page: _PageInfo,
    header: _Header,
    title: str | None,
    warnings: list[str],
) -> str | None:
    """The signing body; for an unsigned letter, the page's 承办单位 by the signature,
    发布机构 / 发文机关, 主办单位, 来源, the body the title names, a lone organisation line
    above the title, in that order."""
    publisher = meta.get("publisher")
    if sig.agency is not None:
        if publisher and squeeze(publisher) != squeeze(sig.agency):
            warnings.append(f"落款单位“{sig.agency}”与发布机构“{publisher}”不一致")
        return sig.agency
    candidates = (
        _org_value(body_meta.get("handler"), strict=False),
        _org_value(body_meta.get("publisher"), strict=False),
        _org_value(publisher),
        _org_value(meta.get("handler"), strict=False),
        _org_value(meta.get("source")),
        _org_value(page.source),
        _title_org(title),
        next(
            (
                ln.orig
                for ln in header.free
                if len(ln.norm) <= 30 and fields.looks_like_org(ln.norm)
            ),
            None,
        ),
        publisher,
    )
    agency = next((c for c in candidates if c), None)
    if agency is not None:
        warnings.append("落款没有答复单位，答复单位取自页面信息")
    else:
        warnings.append("未找到答复单位")
    return agency


def _intro_start(kept: list[_Line]) -> int:
    """Where the letter proper begins when there is no salutation."""
    for i, line in enumerate(kept[:40]):
        if _INTRO_START_RE.search(line.norm):
            return i
    # Otherwise the header is the leading run of short, unpunctuated lines (title,
    # labels, doc number) that are not themselves a numbered item.
    i = 0
    while i < len(kept) and i < 40:
        norm = kept[i].norm
        if "。" in norm or len(norm) >= 80 or _marker_at(i, norm) is not None:
            break
        i += 1
    return i if i < len(kept) else 0


def _proposal_title(
    intro_lines: list[_Line],
    intro_norm: str,
    meta: fields.Metadata,
    title: str | None,
    info_title: str,
) -> str | None:
    intro_orig = "\n".join(ln.orig for ln in intro_lines)
    span = fields.find_cited_title(intro_norm)
    if span is not None:
        return intro_orig[span[0] : span[1]].strip() or None
    cited = meta.get("proposal_title")
    if cited:
        inner = fields.title_from_wrapper(normalize(cited))
        if inner is not None and normalize(cited)[inner[0] : inner[1]].startswith("关于"):
            return cited[inner[0] : inner[1]].strip()
        return cited.strip('《》“”" ')
    for wrapper in (title or "", info_title):
        span = fields.title_from_wrapper(normalize(wrapper))
        if span is not None:
            return wrapper[span[0] : span[1]].strip() or None
    return None


def _doc_number(header: _Header, meta: fields.Metadata) -> str | None:
    # A line that is nothing but the doc number (maybe with its class) is the surest.
    candidates: list[tuple[int, str]] = []
    for line in header.free:
        span = fields.find_doc_number(line.norm)
        if span is None:
            continue
        rest = (line.norm[: span[0]] + line.norm[span[1] :]).strip()
        exact = not rest or bool(re.fullmatch(r"[A-D]\s*类|[(〔【\[][A-D]\s*类?[)〕】\]]", rest))
        candidates.append((0 if exact else 2, line.orig[span[0] : span[1]].strip()))
    value = meta.get("doc_number")
    if value:
        span = fields.find_doc_number(normalize(value))
        candidates.append((1, value[span[0] : span[1]].strip() if span else value.strip()))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1] or None


_CLASS_VALUE_RE = re.compile(r"^\s*([A-D])(?![A-Za-z])")


def _classification(header: _Header, meta: fields.Metadata, closing: list[_Line]) -> str | None:
    value = meta.get("classification")
    if value:
        m = _CLASS_VALUE_RE.match(normalize(value))
        if m:
            return m.group(1)
    lines = [ln.norm for ln in header.lines] + [ln.norm for ln in closing]
    return fields.find_classification(lines)


def _paragraphs(
    intro: list[_Line], spans: list[tuple[_Marker, list[_Line]]]
) -> tuple[list[Paragraph], list[_Heading]]:
    """The prose lines for the promise detector, each with its section and heading."""
    paragraphs = [Paragraph(ln.orig, ln.norm) for ln in intro]
    headings: list[_Heading] = []
    for k, (marker, lines) in enumerate(spans):
        number = k + 1
        first = _slice_line(lines[0], marker.length)
        rest = lines[1:]
        heading = _split_heading(first, rest)
        headings.append(heading)
        section_lines = ([first] if first else []) + rest
        for j, line in enumerate(section_lines):
            start = j == 0
            is_heading_line = heading.whole and (
                (first is not None and j == 0) or (first is None and j == 0)
            )
            paragraphs.append(
                Paragraph(
                    line.orig,
                    line.norm,
                    section=number,
                    section_start=start,
                    heading=heading.text,
                    heading_line=is_heading_line,
                    heading_end=heading.taken if start and not heading.whole else 0,
                    heading_run_in=heading.run_in and start,
                )
            )
    if paragraphs:
        paragraphs[-1] = replace(paragraphs[-1], last=True)
    return paragraphs, headings


def _section(
    number: int,
    marker: _Marker,
    lines: list[_Line],
    heading: _Heading,
    units: list[Unit],
    ref_year: int | None,
    matcher: TopicMatcher,
) -> ParsedSection:
    first_line = lines[0]
    marker_text = first_line.orig[: marker.length].strip()
    first = _slice_line(first_line, marker.length)
    rest = lines[1:]
    parts = ([first.orig] if first else []) + [ln.orig for ln in rest]
    text = "\n".join(parts)
    analysis = statements(units, ref_year)
    return ParsedSection(
        number=number,
        marker=marker_text,
        heading=heading.text,
        text=text,
        topic=matcher.match(heading.text, text),
        commitments=analysis.commitments,
        targets=analysis.targets,
        promises=_promises_of(units),
    )


def _promises_of(units: Sequence[Unit]) -> tuple[ParsedPromise, ...]:
    return tuple(
        ParsedPromise(u.text, u.section, u.deadline, u.targets, u.firm, u.paragraph)
        for u in units
        if u.kind == KIND_PROMISE
    )


def _derived_sections(
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
        promises = _promises_of(group)
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
