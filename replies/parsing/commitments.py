"""Sentences, their modality (done / ongoing / planned), deadlines and quantitative targets.

Decision: every sentence with a recognisable modality becomes a ParsedCommitment, done ones
included, because the section's suggested status is computed from the mix (only done ->
fulfilled, done + planned -> in progress). Sentences with no signal at all (background,
courtesy) are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from .dates import iter_dates, month_end, year_end
from .result import (
    MODALITY_DONE,
    MODALITY_ONGOING,
    MODALITY_PLANNED,
    ParsedCommitment,
    ParsedTarget,
)
from .text import cn_to_int, normalize, words

# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

_SENTENCE_SPECIALS_RE = re.compile(r"[“”《》()\[\]。;!?\n]")
_OPENERS = {"“": "”", "《": "》", "(": ")", "[": "]"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
# Quotes nest rarely and are often left unbalanced by typists; past this depth the
# counting is meaningless, so it is capped rather than trusted.
_MAX_DEPTH = 4


def split_sentences(norm: str) -> list[tuple[int, int]]:
    """Split normalised text into sentence spans (start, end), end-exclusive.

    Sentences end at 。 ; ! ? and line breaks, but not inside “…”, 《…》 or (…): a quoted
    policy title often contains its own full stop. A line break always ends a sentence,
    which also resets quote tracking after an unbalanced quote.
    """
    spans: list[tuple[int, int]] = []
    stack: list[str] = []
    start = 0
    for m in _SENTENCE_SPECIALS_RE.finditer(norm):
        ch = m.group()
        pos = m.start()
        if ch == "\n":
            spans.append((start, pos))
            start = pos + 1
            stack.clear()
        elif ch in _OPENERS:
            if len(stack) < _MAX_DEPTH:
                stack.append(ch)
        elif ch in _CLOSERS:
            if stack and stack[-1] == _CLOSERS[ch]:
                stack.pop()
        elif not stack:
            spans.append((start, pos + 1))
            start = pos + 1
    spans.append((start, len(norm)))
    result: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and norm[s].isspace():
            s += 1
        while e > s and norm[e - 1].isspace():
            e -= 1
        if e > s:
            result.append((s, e))
    return result


# ---------------------------------------------------------------------------
# Modality
# ---------------------------------------------------------------------------

# 将 is the usual future auxiliary, but 现将 is performative ("现将办理情况答复如下"), 已将 /
# "已会同…部门将…纳入" and "将…纳入了" report the past, and 将近/将军… are other words.
_JIANG_RE = re.compile(r"将(?!近|军|士|领|就|信将疑)")
_CLAUSE_MARK_RE = re.compile(r"[,;:。!?]")
# Openers that put the rest of the section into the future ("下一步,我们将…:一是…二是…").
_CONTEXT_WORDS_RE = re.compile(r"下一步|下步|下阶段|下一阶段|今后|接下来|未来")
_SUBJECT_JIANG_RE = re.compile(
    r"(?:我们|我局|我委|我办|我厅|我部|我市|我县|我区|我省|本局|本单位|我单位|我中心)将"
)
_STRONG_PLANNED_RE = re.compile(
    r"下一步|下步|下阶段|下一阶段|今后|接下来|将来|未来|力争|明年|后年|底前|年内|即将|"
    # "我们会…" promises; 会同/会议/会商 are other words.
    r"(?:我们|我局|我委|我办|我厅|我部|我市|我县|我区|本局|我单位)会(?![同议商签审])"
)


def _future_jiang_at(norm: str, pos: int) -> bool:
    """Whether the 将 at pos marks the future; only its own clause is read (bounded)."""
    if pos > 0 and norm[pos - 1] == "现":
        return False
    before = norm[max(0, pos - 30) : pos]
    marks = list(_CLAUSE_MARK_RE.finditer(before))
    clause_head = before[marks[-1].end() :] if marks else before
    if "已" in clause_head or "曾" in clause_head:
        return False
    after = norm[pos + 1 : pos + 31]
    stop = _CLAUSE_MARK_RE.search(after)
    return "了" not in (after[: stop.start()] if stop else after)


def _has_future_jiang(norm: str) -> bool:
    return any(_future_jiang_at(norm, m.start()) for m in _JIANG_RE.finditer(norm))


def _opens_future(norm: str) -> bool:
    if _CONTEXT_WORDS_RE.search(norm):
        return True
    return any(_future_jiang_at(norm, m.end() - 1) for m in _SUBJECT_JIANG_RE.finditer(norm))


# Weaker signals: 争取/计划 are also nouns or past verbs (共争取资金…, 双百计划).
_WEAK_PLANNED_RE = re.compile(
    r"争取|计划(?=[\u4e00-\u9fff]|(?:19|20)\d{2}\s*年)(?![书表内中生单任项指额])|拟(?![定订稿])|预计|打算|准备(?!金)|待.{0,12}后"
)
_STRONG_ONGOING_RE = re.compile(
    r"正在|正逐步|正积极|正抓紧|正加紧|正加快|正全力|正着手|正组织|正研究|正推进|正协调|"
    r"正与|正对|目前正|仍在|推进中|进行中|实施中|建设中|办理中|在建"
)
_WEAK_ONGOING_RE = re.compile(
    r"持续(?:推进|开展|加大|深化|实施|做好|抓好|跟进|关注|加强|增加)|稳步推进|有序推进|扎实推进|"
    r"逐步推进|积极推进|加快推进|常态化|不断(?:加强|完善|推进)"
)
# Past aspect: 已/累计/去年… report finished work even inside a "下一步" passage.
_STRONG_DONE_RE = re.compile(
    r"已|累计|去年|上年|前年|近年来|此前|截至|截止|曾|先后|共计|兑现|"
    r"(?<![为除罢不])了(?!解|如指掌)"
)
# Verbs of finished work that a plan also uses ("建立…机制" after 下一步 is a promise).
_WEAK_DONE_RE = re.compile(
    r"完成|出台|建成|印发|下发|召开|取得|发放|成立|设立|建立|制定|举办|投入使用|实现|达到"
)
_FIGURE_RE = re.compile(
    r"(?<![\d.])\d++(?:\.\d++)?\s*(?:万|亿)?(?:元|家|个|项|人|名|所|座|条|台|套|场|户|次|%)"
)
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# 到2025年 / 至2025年底 / 力争2025年 are forward targets only when the year is ahead.
_FUTURE_YEAR_RE = re.compile(r"(?:到|至|于|在|力争|争取|确保|计划|预计)\s*((?:19|20)\d{2})\s*年")
_PLAN_PERIOD_RE = re.compile(r"十([一二三四五六七八九])五")


def _plan_period_end(ch: str) -> int:
    # The N-th five-year plan ends in 1955 + 5N: 十四五 -> 2025, 十五五 -> 2030.
    n = 10 + "一二三四五六七八九".index(ch) + 1
    return 1955 + 5 * n


def _future_year_marked(norm: str, ref_year: int | None) -> bool:
    for m in _FUTURE_YEAR_RE.finditer(norm):
        if ref_year is None or int(m.group(1)) >= ref_year:
            return True
    for m in _PLAN_PERIOD_RE.finditer(norm):
        if ref_year is None or _plan_period_end(m.group(1)) >= ref_year:
            return True
    return False


def _past_year_marked(norm: str, ref_year: int | None) -> bool:
    if ref_year is None:
        return False
    return any(int(m.group(1)) < ref_year for m in _YEAR_RE.finditer(norm))


def classify(norm: str, ref_year: int | None, in_future_context: bool) -> str | None:
    """Modality of one normalised sentence, or None when it says nothing classifiable.

    Precedence: explicit future words beat everything (a sentence that reports and then
    promises is a promise); explicit present-progress words beat past markers ("已完成…,
    正在进行…" is still running); past aspect (已, 了, 去年) beats weak plan words (共争取…);
    inside a "下一步…" passage the remaining sentences are part of the plan; last, bare verbs
    of accomplishment, past years and reported figures mean done.
    """
    if (
        _STRONG_PLANNED_RE.search(norm)
        or _has_future_jiang(norm)
        or _future_year_marked(norm, ref_year)
    ):
        return MODALITY_PLANNED
    if _STRONG_ONGOING_RE.search(norm):
        return MODALITY_ONGOING
    if _STRONG_DONE_RE.search(norm):
        return MODALITY_DONE
    if _WEAK_PLANNED_RE.search(norm) or in_future_context:
        return MODALITY_PLANNED
    if _WEAK_ONGOING_RE.search(norm):
        return MODALITY_ONGOING
    if _WEAK_DONE_RE.search(norm) or _past_year_marked(norm, ref_year) or _FIGURE_RE.search(norm):
        return MODALITY_DONE
    return None


# ---------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------

_YEAR_MONTH_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*[日号])")
_YEAR_ONLY_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月)")
_MONTH_ONLY_RE = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(?:底|末|份|前|中旬|下旬)")
_HALF_YEAR_RE = re.compile(r"上半年")
# What precedes 上半年, read backwards from it: "2022年上半年" / "明年上半年".
_HALF_YEAR_LEAD_RE = re.compile(
    r"(?:(?P<y>(?:19|20)\d{2})\s{0,2}年|(?P<rel>今年|本年|明年))\s{0,2}$"
)
_THIS_YEAR_RE = re.compile(r"今年|本年度|本年|年底前|年内|年底|年末")
_NEXT_YEAR_RE = re.compile(r"明年|下一年度|来年")
_BOOK_TITLE_RE = re.compile(r"《[^《》\n]{0,200}》")


def extract_deadline(norm: str, ref_year: int | None) -> date | None:
    """The latest deadline a sentence sets, resolving relative words against ref_year.

    Years before the reference year are history, not deadlines, and are skipped.
    """
    # Years inside a cited document title (《规划(2022—2025年)》) name the document's
    # period, not this action's deadline.
    norm = _BOOK_TITLE_RE.sub(lambda m: " " * len(m.group()), norm)
    found: list[date] = []

    def keep(value: date | None) -> None:
        if value is not None and (ref_year is None or value.year >= ref_year):
            found.append(value)

    for _s, _e, value in iter_dates(norm):
        keep(value)
    for m in _YEAR_MONTH_RE.finditer(norm):
        month = int(m.group(2))
        if 1 <= month <= 12:
            keep(month_end(int(m.group(1)), month))
    # 上半年 ends in June; once read, the half-year phrase is blanked so that its year (or
    # 明年) is not read again as a whole year.
    blanks: list[tuple[int, int]] = []
    for m in _HALF_YEAR_RE.finditer(norm):
        window = max(0, m.start() - 12)
        lead = _HALF_YEAR_LEAD_RE.search(norm[window : m.start()])
        if lead and lead.group("y"):
            keep(date(int(lead.group("y")), 6, 30))
        elif ref_year is not None:
            keep(date(ref_year + (1 if lead and lead.group("rel") == "明年" else 0), 6, 30))
        blanks.append((window + lead.start() if lead else m.start(), m.end()))
    for start, end in blanks:
        norm = norm[:start] + " " * (end - start) + norm[end:]
    for m in _YEAR_ONLY_RE.finditer(norm):
        keep(year_end(int(m.group(1))))
    for m in _PLAN_PERIOD_RE.finditer(norm):
        keep(year_end(_plan_period_end(m.group(1))))
    if ref_year is not None:
        for m in _MONTH_ONLY_RE.finditer(norm):
            month = int(m.group(1))
            if 1 <= month <= 12:
                keep(month_end(ref_year, month))
        if _NEXT_YEAR_RE.search(norm):
            keep(year_end(ref_year + 1))
        elif _THIS_YEAR_RE.search(norm) and not found:
            keep(year_end(ref_year))
    return max(found) if found else None


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------

_UNITS = sorted(
    words(
        "平方公里 平方米 立方米 公顷 公里 千米 米 亩 元 人次 人 名 家 个百分点 个 项 所 座 条 "
        "台 套 场 户 间 张 床 辆 吨 千瓦 兆瓦 处 支 棵 株 种 篇 件 位 栋 批 期 次 % 万 亿"
    ),
    key=len,
    reverse=True,
)
_UNIT_ALT = "|".join(re.escape(u) for u in _UNITS if u not in ("万", "亿"))
# 3家 / 260万平方米以上 / 30家以上 / 1.5亿元 / 90%: 万/亿 stay part of the unit.
_NOT_A_COUNT = r"(?!\s*(?:月|工作日|小时|季度|年|星期|周))"
_QUANTITY_RE = re.compile(
    r"(?<![\d.,A-Za-z第〔\[【])(?P<n>\d{1,3}(?:,\d{3})+|\d++(?:\.\d++)?)\s*(?:[余多]\s*)?"
    r"(?P<unit>(?:[万亿])?(?:" + _UNIT_ALT + r"))" + _NOT_A_COUNT
)
# Chinese numerals are only trusted right after a verb of building or reaching
# ("新建三所学校", "新增两家孵化器"); elsewhere 一/十 are parts of ordinary words.
_CN_QUANTITY_RE = re.compile(
    r"(?:新增|新建|建设|建成|培育|引进|打造|达到|完成|增加|增至|实施|开展|举办|组织|改造|创建|"
    r"培训|招聘|认定|争创|设立|、)"
    r"(?P<n>[两二三四五六七八九十百千][一二两三四五六七八九十百千]{0,5})\s*(?:[余多]\s*)?"
    r"(?P<unit>(?:[万亿])?(?:" + _UNIT_ALT + r"))" + _NOT_A_COUNT
)
# Possessive \d++ below: a long digit run must not be retried at every shorter length.
# Clauses end at , ; : and stops, but not at the comma of a thousands separator (1,000).
_CLAUSE_SPLIT_RE = re.compile(r"[;:。!?]|(?<!\d),|,(?!\d{3}(?!\d))")
_LEAD_WORDS_RE = re.compile(
    r"(?:[一二三四五六七八九十]+是|同时|此外|另外|下一步|今后|我们|我局|我委|我市|我县|我区|将|力争|"
    r"争取|计划|确保|预计|拟|并|还|再|要|,|、|\s)+"
)


def extract_targets(orig: str, norm: str, deadline: date | None) -> list[ParsedTarget]:
    """Quantities promised in one planned sentence (orig and norm have the same length)."""
    targets: list[ParsedTarget] = []
    clause_start = 0
    bounds = [m.start() for m in _CLAUSE_SPLIT_RE.finditer(norm)] + [len(norm)]
    for bound in bounds:
        clause = norm[clause_start:bound]
        hits = sorted(
            [*_QUANTITY_RE.finditer(clause), *_CN_QUANTITY_RE.finditer(clause)],
            key=lambda m: m.start("n"),
        )
        if hits:
            # Several quantities in one clause are an enumeration ("孵化器3家、省级20家"):
            # each target then names its own 、-segment; a single one names the clause.
            segments = _segments(clause) if len(hits) > 1 else [(0, len(clause))]
            for hit in hits:
                quantity = _quantity(hit.group("n"))
                if quantity is None or quantity <= 0:
                    continue
                seg_start, seg_end = next(
                    ((s, e) for s, e in segments if s <= hit.start("n") < e), (0, len(clause))
                )
                text = _target_text(orig, norm, clause_start + seg_start, clause_start + seg_end)
                targets.append(
                    ParsedTarget(
                        text=text, quantity=quantity, unit=hit.group("unit"), deadline=deadline
                    )
                )
        clause_start = bound + 1
    return targets


def _quantity(token: str) -> Decimal | None:
    if token[0].isdigit():
        try:
            return Decimal(token.replace(",", ""))
        except InvalidOperation:
            return None
    value = cn_to_int(token)
    return Decimal(value) if value is not None else None


def _segments(clause: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    depth = 0
    for i, ch in enumerate(clause):
        if ch in "“《(":
            depth += 1
        elif ch in "”》)" and depth:
            depth -= 1
        elif ch == "、" and not depth:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(clause)))
    return spans


def _target_text(orig: str, norm: str, start: int, end: int) -> str:
    lead = _LEAD_WORDS_RE.match(norm, start, end)
    if lead and lead.end() < end:
        start = lead.end()
    return orig[start:end].strip()


# ---------------------------------------------------------------------------
# Whole section
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionAnalysis:
    commitments: tuple[ParsedCommitment, ...]
    targets: tuple[ParsedTarget, ...]


# "(一)加快项目进度。" titles a sub-item; the sentences under it carry the commitment.
_SUBHEADING_RE = re.compile(r"^\(?[一二三四五六七八九十\d]{1,3}[)、.]\s*[^,;:。]{1,16}[。:]?$")
# A heading such as "下一步工作打算" or "今后工作措施" puts its whole section in the future.
_FUTURE_HEADING_RE = re.compile(r"下一步|下步|今后|打算|计划|工作措施|努力方向|工作思路")


def analyse(
    orig: str, norm: str | None, ref_year: int | None, heading: str | None = None
) -> SectionAnalysis:
    """Classify every sentence of a section body and collect targets from planned ones.

    ``norm`` is normalize(orig) when the caller already has it (same length as orig).
    """
    if norm is None or len(norm) != len(orig):
        norm = normalize(orig)
    commitments: list[ParsedCommitment] = []
    targets: list[ParsedTarget] = []
    in_future = bool(heading and _FUTURE_HEADING_RE.search(normalize(heading)))
    for start, end in split_sentences(norm):
        s_norm = norm[start:end]
        if _SUBHEADING_RE.match(s_norm):
            continue
        modality = classify(s_norm, ref_year, in_future)
        if _opens_future(s_norm):
            in_future = True
        if modality is None:
            continue
        deadline = (
            extract_deadline(s_norm, ref_year)
            if modality in (MODALITY_PLANNED, MODALITY_ONGOING)
            else None
        )
        text = orig[start:end].strip()
        commitments.append(ParsedCommitment(text=text, modality=modality, deadline=deadline))
        if modality == MODALITY_PLANNED:
            targets.extend(extract_targets(orig[start:end], s_norm, deadline))
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
