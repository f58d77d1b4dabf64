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
from .derived import derived_sections
from .html_text import html_to_text, looks_like_html
from .lines import Line, make_line, slice_line
from .promises import DateContext, Paragraph, Unit, detect, promises_of
from .result import (
    NO_PROMISES_WARNING,
    REPLY_ROLE_ANSWER,
    REPLY_ROLE_CO_OPINION,
    ParsedLetter,
    ParsedSection,
)
from .sections import Heading, Marker, choose_sections, marker_at, split_heading
from .text import (
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


def _keep_lines(text: str, breaks: Sequence[int] = ()) -> tuple[list[Line], _PageInfo]:
    kept: list[Line] = []
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
        line = make_line(raw_end.rstrip("\r\n\f\v\x1c\x1d\x1e\x85\u2028\u2029"), page)
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


def _split_run_on_signature(line: Line) -> list[Line]:
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
    parts = [make_line(line.orig[:cut], line.page)]
    if signer:
        org_end = len(split[0].rstrip())
        parts += [
            make_line(line.orig[cut:org_end], line.page),
            make_line(line.orig[org_end:], line.page),
        ]
    else:
        parts.append(make_line(line.orig[cut:], line.page))
    return [p for p in parts if p is not None]


def _harvest_page_info(line: Line, info: _PageInfo) -> None:
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


def _date_line(line: Line) -> _DateLine | None:
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


def _closing_start(content: list[Line], lower: int) -> int:
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


def _all_trailers(lines: list[Line]) -> bool:
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
        or _date_line(Line(norm, norm)) is not None
        or fields.looks_like_org(norm, strict=False)
        or ("。" not in norm and len(norm) <= 60)
    )


@dataclass
class _Signature:
    agency: str | None = None
    reply_date: date | None = None
    dated: bool = False  # a signature date line was found, with or without its day
    year: int | None = None


def _signature(closing: list[Line]) -> _Signature:
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
    lines: list[Line]
    free: list[Line]  # lines that are not label/value lines
    meta: fields.Metadata
    title: str | None


def _read_header(lines: list[Line]) -> _Header:
    meta = fields.Metadata()
    free: list[Line] = []
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
    cells: list[fields.LabelCell], values: list[Line], meta: fields.Metadata
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
    chosen = choose_sections(
        [m for i, ln in enumerate(content) if (m := marker_at(i, ln.norm)) is not None]
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
    promises = promises_of(units)
    by_section: dict[int | None, list[Unit]] = {}
    for unit in units:
        by_section.setdefault(unit.section, []).append(unit)
    sections = [
        _section(
            k + 1,
            marker,
            lines,
            headings[k],
            by_section.get(k + 1, []),
            ref_year,
            matcher,
        )
        for k, (marker, lines) in enumerate(spans)
    ]
    derived = () if sections else derived_sections(paragraphs, units, ref_year, matcher)
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
        statements=statements(units, ref_year).commitments,
        pages=pages,
    )


# A co-handler's opinion says so in its title ('…第86号建议的会办意见') or where the
# letter proper begins ('现提出会办意见如下'); a lead unit's answer may only mention that it
# heard the co-handlers ('征求协办单位意见后').
_CO_OPINION_TITLE_RE = re.compile(
    r"(?:会办|协办)(?:单位)?(?:的)?意见(?:函)?$|(?:会办|协办)意见的函"
)
_CO_OPINION_INTRO_RE = re.compile(
    r"(?:提出|提供|现将|现就)(?:以下|如下)?(?:会办|协办)(?:单位)?意见|(?:会办|协办)意见如下"
)


def _reply_role(sources: Sequence[str]) -> str:
    """co_opinion for a co-handler's opinion to the lead unit (会办意见 / 协办意见)."""
    titles = [squeeze(t) for t in (sources[0], sources[1]) if t]
    if any(_CO_OPINION_TITLE_RE.search(t) for t in titles) or _CO_OPINION_INTRO_RE.search(
        squeeze(sources[3][:400])
    ):
        return REPLY_ROLE_CO_OPINION
    return REPLY_ROLE_ANSWER


_PERSON_RE = re.compile(r"委员|代表|同志|先生|女士|老师")


def _names_a_person(names: str | None) -> bool:
    return bool(names and _PERSON_RE.search(names))


_BARE_NUMBER_RE = re.compile(r"[A-Za-z]{0,3}\d{2,20}")


def _number_after_session(header: list[Line]) -> str | None:
    """A database-style header prints the number alone under the session line:
    '博山区政协十三届四次会议' / '134105'."""
    for i, line in enumerate(header[:-1]):
        if fields.find_session(line.norm) and _BARE_NUMBER_RE.fullmatch(header[i + 1].norm):
            return header[i + 1].norm
    return None


@dataclass
class _Parts:
    header: list[Line]
    content: list[Line]  # everything after the salutation
    salutation: str | None = None
    names: str | None = None  # the addressee part of the salutation (normalised)


def _split_letter(kept: list[Line]) -> _Parts:
    """Cut the kept lines at the salutation (or, without one, where the letter starts)."""
    for i, line in enumerate(kept):
        following = kept[i + 1].norm if i + 1 < len(kept) else None
        found = fields.salutation_at(line.norm, following)
        if found is not None:
            rest = slice_line(line, found.end)
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


def _body_labels(content: list[Line]) -> fields.Metadata:
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


def _intro_start(kept: list[Line]) -> int:
    """Where the letter proper begins when there is no salutation."""
    for i, line in enumerate(kept[:40]):
        if _INTRO_START_RE.search(line.norm):
            return i
    # Otherwise the header is the leading run of short, unpunctuated lines (title,
    # labels, doc number) that are not themselves a numbered item.
    i = 0
    while i < len(kept) and i < 40:
        norm = kept[i].norm
        if "。" in norm or len(norm) >= 80 or marker_at(i, norm) is not None:
            break
        i += 1
    return i if i < len(kept) else 0


def _proposal_title(
    intro_lines: list[Line],
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


def _classification(header: _Header, meta: fields.Metadata, closing: list[Line]) -> str | None:
    value = meta.get("classification")
    if value:
        m = _CLASS_VALUE_RE.match(normalize(value))
        if m:
            return m.group(1)
    lines = [ln.norm for ln in header.lines] + [ln.norm for ln in closing]
    return fields.find_classification(lines)


def _paragraphs(
    intro: list[Line], spans: list[tuple[Marker, list[Line]]]
) -> tuple[list[Paragraph], list[Heading]]:
    """The prose lines for the promise detector, each with its section and heading."""
    paragraphs = [Paragraph(ln.orig, ln.norm) for ln in intro]
    headings: list[Heading] = []
    for k, (marker, lines) in enumerate(spans):
        number = k + 1
        first = slice_line(lines[0], marker.length)
        rest = lines[1:]
        heading = split_heading(first, rest)
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
    marker: Marker,
    lines: list[Line],
    heading: Heading,
    units: list[Unit],
    ref_year: int | None,
    matcher: TopicMatcher,
) -> ParsedSection:
    first_line = lines[0]
    marker_text = first_line.orig[: marker.length].strip()
    first = slice_line(first_line, marker.length)
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
        promises=promises_of(units),
    )
