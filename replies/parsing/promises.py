"""Promises: the statements in which the replying side commits to future or continuing action.

This is the parser's one rule for "what was promised". The letter's prose is cut into units
(sentences, and the clauses of an enumeration inside a paragraph: 一是…二是…, 1、…2、…,
(一)…(二)…), and each unit is read in its context:

- a unit with its own marker of future action (下一步, 今后, 将 as the future auxiliary, 计划,
  拟, 力争, 预计, 待…后…, 我们会…, a date still ahead) is a promise, unless it is courtesy,
  a statement of need, or says what somebody else should do;
- a list lead-in ("下一步,我们将重点做好以下工作:") is not a promise itself; the items under
  it inherit its commitment, as do the numbered sections under a lead-in that ends the intro
  and the sections headed "下一步工作打算";
- a sentence opening with 同时 after a promise continues it;
- tenseless lists, progress (正在…), past work and past dates are not promises.

Deadlines and targets come only from the planned part of a promise (the clauses from its
future marker on, without the clauses that report done work). ``replies.parsing.commitments``
classifies the units that are not promises (done / ongoing) for the sections' statements.

All patterns are bounded or anchored on a required character, so every unit is read in
time linear in its length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from .dates import iter_dates, month_end, year_end
from .result import ParsedPromise, ParsedTarget
from .targets import extract_targets
from .text import cn_to_int, normalize

# ---------------------------------------------------------------------------
# Input and output
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    """One line of letter prose, with the section it belongs to.

    ``orig`` and ``norm`` have the same length (norm = text.normalize(orig)); a section's
    first line comes without its marker. On that line ``heading_end`` is the number of
    characters the section's heading takes, its closing 。 or : included; with
    ``heading_run_in`` the heading runs into the prose with no punctuation at all
    ('加快推进停车场建设截止2024年底,…').
    """

    orig: str
    norm: str
    section: int | None = None
    section_start: bool = False
    heading: str | None = None
    heading_line: bool = False  # this line is the section's heading and nothing else
    heading_end: int = 0
    heading_run_in: bool = False
    last: bool = False  # the last line of the letter's prose (a cut-off page ends there)


@dataclass(frozen=True)
class DateContext:
    """What relative dates are read against: the letter's date, else its year."""

    letter_date: date | None = None
    year: int | None = None

    def is_past(self, value: date, month_only: bool = False) -> bool:
        if self.letter_date is not None:
            if month_only:
                return (value.year, value.month) < (self.letter_date.year, self.letter_date.month)
            return value < self.letter_date
        return self.year is not None and value.year < self.year


KIND_PROMISE = "promise"
KIND_LEAD_IN = "lead_in"
KIND_LABEL = "label"  # a section heading that only labels ('下一步工作打算', '关于“…”')
KIND_STATEMENT = "statement"


@dataclass(frozen=True)
class Unit:
    """A sentence or enumerated clause, as read by the detector."""

    paragraph: int  # index into the paragraphs given
    start: int  # span in the paragraph (marker and indentation excluded)
    end: int
    text: str
    norm: str
    section: int | None
    kind: str
    future: bool = False  # carries a commitment (promises, future lead-ins)
    planned: tuple[tuple[int, int], ...] = ()  # spans (in the unit) of the planned part
    deadline: date | None = None
    firm: bool = False
    courtesy: bool = False
    targets: tuple[ParsedTarget, ...] = ()


# ---------------------------------------------------------------------------
# Units: sentences and enumerated clauses
# ---------------------------------------------------------------------------

_QUOTE_RE = re.compile(r"[“”《》()\[\]\"]")
_OPEN_OF = {"”": "“", "》": "《", ")": "(", "]": "["}
_MAX_DEPTH = 6
_STOP_RE = re.compile(r"[。;]")

_CN_ITEM = "一二三四五六七八九十"
# Enumeration markers inside a paragraph; each must follow a clause boundary.
_ITEM_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("shi", re.compile(rf"(?P<n>[{_CN_ITEM}]{{1,2}})是(?=[^\s,.:;、。是])")),
    ("paren_cn", re.compile(rf"\((?P<n>[{_CN_ITEM}]{{1,2}})\)")),
    ("paren_ar", re.compile(r"\((?P<n>\d{1,2})\)")),
    ("circled", re.compile(r"(?P<n>[\u2460-\u2473])")),
    ("dun", re.compile(r"(?P<n>\d{1,2})、")),
    ("dot", re.compile(r"(?P<n>\d{1,2})\.(?:(?!\d)|(?=(?:19|20)\d{2}\s*年))")),
)
_ITEM_BOUNDARY = frozenset("。;:!?,、 ")


def _item_number(style: str, token: str) -> int | None:
    if style == "circled":
        return ord(token) - 0x2460 + 1
    return cn_to_int(token)


@dataclass(frozen=True)
class _Item:
    start: int  # marker start
    end: int  # marker end (the clause starts here)
    style: str
    number: int


def _live_quotes(norm: str) -> set[int]:
    """Positions of quote/bracket openers and closers that pair up within the paragraph.

    An opener never closed (a typist's stray “) must not swallow the rest of the paragraph.
    """
    stack: list[tuple[str, int]] = []
    live: set[int] = set()
    for m in _QUOTE_RE.finditer(norm):
        ch, pos = m.group(), m.start()
        if ch == '"':
            if stack and stack[-1][0] == '"':
                live.update((stack.pop()[1], pos))
            elif len(stack) < _MAX_DEPTH:
                stack.append((ch, pos))
            continue
        opener = _OPEN_OF.get(ch)
        if opener is None:
            if len(stack) >= _MAX_DEPTH:
                stack.pop(0)
            stack.append((ch, pos))
            continue
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] == opener:
                live.update((stack[k][1], pos))
                del stack[k:]
                break
    return live


def _depths(norm: str, live: set[int]) -> Sequence[int]:
    """Quote depth before each position (only paired quotes count)."""
    if not live:
        return bytes(len(norm) + 1)  # all zero, built without a Python loop
    out = [0] * (len(norm) + 1)
    depth = 0
    previous = 0
    for pos in sorted(live):
        out[previous : pos + 1] = [depth] * (pos + 1 - previous)
        ch = norm[pos]
        depth += 1 if ch in "“《([" or (ch == '"' and depth == 0) else -1
        depth = max(depth, 0)
        previous = pos + 1
    out[previous:] = [depth] * (len(norm) + 1 - previous)
    return out


def _items(norm: str, depth: Sequence[int], first_at: int, before: dict[str, int]) -> list[_Item]:
    """Enumeration markers at clause boundaries, numbered 1, 2, 3… per style.

    A line may open with the next item of a list begun on an earlier line (``before``:
    the last number seen per style).
    """
    found: list[_Item] = []
    for style, regex in _ITEM_RES:
        for m in regex.finditer(norm, first_at):
            pos = m.start()
            if depth[pos] or (pos > first_at and norm[pos - 1] not in _ITEM_BOUNDARY):
                continue
            if pos > first_at and style in ("dun", "dot") and norm[pos - 1] in ",、":
                continue  # 第1、2条 / 共2、3个 are not items
            number = _item_number(style, m.group("n"))
            if number is None:
                continue
            found.append(_Item(pos, m.end(), style, number))
    found.sort(key=lambda it: it.start)
    kept: list[_Item] = []
    last: dict[str, int] = {}
    for item in found:
        expected = (
            last.get(item.style, before.get(item.style, 0) if item.start == first_at else 0) + 1
        )
        if item.number == 1 or item.number == expected:
            if kept and item.start < kept[-1].end:
                continue
            kept.append(item)
            last[item.style] = item.number
    return kept


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

# Future action, strong: enough on its own.
_FUTURE_WORDS_RE = re.compile(
    r"下一步|下步|下阶段|下一阶段|今后|接下来|将来|力争|预计|打算|即将|明年|后年|"
    r"(?<![模虚])拟(?![定订稿人])|(?<![对接期等招款优虐善看守宽厚])待[^,。;:]{1,20}?(?:后|时)"
)
# 计划 as a verb ('我局计划在…建设', '计划用四年'), not the noun ('纳入工作计划中', '双百计划4个').
_PLAN_VERB_RE = re.compile(
    r"计划(?=[在于用对将投新建开完实启推修改安增设创到今明先分再逐组举引购争力从通采进申提出发"
    r"打落把加扩配招培利全重每年上下]|(?:19|20)\d{2}\s*年)"
)
# 将 the future auxiliary; the object marker 把 (将X纳入Y) and 现将/已将 are told apart below.
_JIANG_RE = re.compile(r"将(?!近|军|士|领|就|信将疑|来)")
# After these adverbs and prepositions, 将 is the auxiliary ('将继续', '将于2022年', '将对小区…').
_JIANG_ADVERB_RE = re.compile(
    r"(?:积极|继续|进一步|加快|加大|持续|全力|认真|及时|严格|重点|尽快|大力|主动|切实|着力|不断|"
    r"逐步|会同|联合|根据|按照|结合|立足|围绕|坚持|深入|充分|努力|力争|争取|适时|择机|优先|"
    r"统筹|抓紧|在|于|对|与|从|以|把|向|为|由|按|视|会|可|不|再|也|一|全)"
)
# The object-marker use: 将 + object + one of these verbs ('将该路段纳入计划').
_OBJECT_VERBS_RE = re.compile(
    r"纳入|列入|列为|作为|上报|报送|提交|交由|交给|移交|转交|整合|合并|改为|改造为|打造成|"
    r"打造为|变为|转化为|传承|落到|落实到|用于|放在|摆在|视为|当作|定为|确定为|划入|划归|"
    r"调整为|提升为|升级为|上划|投放|融入|写入|编入"
)
_FIRST_PERSON = r"我们|我局|我委|我办|我厅|我部|我市|我县|我区|我省|我镇|我站|我队|我院|我中心|我单位|本局|本单位|本委"
_WILL_RE = re.compile(rf"(?:{_FIRST_PERSON})(?:也|还|都|一定|必将|将)?会(?![同议商签审办])")
# Weak markers: a promise only when nothing says the work is done or merely needed.
_WEAK_FUTURE_RE = re.compile(
    r"继续(?=[\u4e00-\u9fff])(?!对|为我|关注、|关心)|争取(?![到了得])|"
    rf"(?:{_FIRST_PERSON}|当前|目前|今年|下步)[^,。;:]{{0,4}}要(?=抓好|做好|抓实|抓紧|加快|加强|着力|切实|继续|进一步|全力|重点)|"
    r"(?<![需主重只不想必纲提简紧概])要(?=抓好|做好|抓实|抓紧)"
)
# Past aspect: the unit (or clause) reports work already done.
_DONE_RE = re.compile(
    r"已|累计|去年|上年|前年|近年来|此前|截至|截止|曾|先后|共计|兑现|历年|以来|至今|"
    r"(?<![为除罢不])了(?!解|如指掌)"
)
_PROGRESS_RE = re.compile(
    r"正在|正逐步|正积极|正抓紧|正加紧|正加快|正全力|正着手|正组织|正研究|正推进|正协调|正与|"
    r"正对|目前正|仍在|推进中|进行中|实施中|建设中|办理中|之中"
)
_NEED_RE = re.compile(r"需要|亟需|亟待|急需|(?<![必])需(?![求])")
_COURTESY_RE = re.compile(
    r"^(?:(?:最后|再次|同时|在此|此外|另外|也|并|特此|真诚|真挚|衷心|非常|十分|诚挚)[,\s]*)*"
    r"(?:感谢|谢谢|致谢|欢迎|希望|期望|期待|恳请|敬请|请您|请你|您如|"
    r"(?:如|若)(?:有|您|你|对)[^,。;:]{0,6}(?:意见|疑问|异议|不妥|建议|问题|不满意)|"
    r"以上答复|对以上|对此答复|您对|你对|此复|特此)|"
    r"希望您|希望你|欢迎您|欢迎你|恳请|敬请|感谢您|感谢你|请批评|不妥之处"
)
# Someone else's doing: 相信…会 (a belief about another body), 可由…, 请…(without our act).
_OTHERS_RE = re.compile(r"相信|可由|建议由|由[^,。;:]{1,12}自行")
# 请X提出申请,我局…进行鉴定: the reply asks for a step and commits to its own act on it.
_REQUEST_RE = re.compile(r"^请")
_OUR_ACT_RE = re.compile(rf"(?:^|[,;:])\s*(?:{_FIRST_PERSON})(?!已)[\u4e00-\u9fff]")
# Subjects that are not the government side: their 将 commits nobody who replied.
_NOT_GOVERNMENT_RE = re.compile(r"企业|公司|学校|村委会|村组|村民|居委会|业主|物业|家长|您|你")
# A lead-in announces the list that follows it ('重点做好以下三项工作', '重点做好三个“加强”',
# '具体回复如下'); read on the unit without its closing stop.
_ANNOUNCE_RE = re.compile(
    r"(?:以下|如下|下列)[^,。;]{0,8}$|"
    r"(?:做好|抓好|抓实|落实|推进|开展|突出|强化|实施|从|在)[^,。;]{0,6}?"
    r"(?:几|[一二两三四五六七八九十\d]{1,2})\s*(?:个方面|方面|项|点|条|个“[^”]{1,10}”)"
    r"(?:的)?(?:工作|措施|举措|事项|内容|任务|重点工作)?$"
)
_CONTINUATION_RE = re.compile(r"^(?:同时|与此同时|此外|另外)")
# Headings that only label a section: 关于“…” (the proposal's own words), …情况, …打算.
_LABEL_HEADING_RE = re.compile(
    r"^关于|(?:情况|打算|安排|思路|方向|进展|成效|做法|说明|回复|答复|建议|意见|问题|计划|目标|措施|举措)$|"
    # '下一步工作', '今后的工作重点': a time and a generic noun, nothing to do.
    r"^(?:下一步|下步|今后|下阶段|下一阶段|未来|近期)(?:的)?(?:工作)?(?:重点|任务)?$"
)
_FUTURE_HEADING_RE = re.compile(r"下一步|下步|今后|打算|计划|努力方向|工作思路|下阶段")
# Pure time phrases before the planned clause belong to it ('2025年,计划新建…').
_TIME_CLAUSE_RE = re.compile(
    r"^(?:(?:(?:19|20)\d{2}\s*年(?:度|底|内)?|今年|明年|近期|下一步|下步|今后|同时|此外|"
    r"[一二三四五六七八九十\d]{1,2}月(?:底|份)?)[\s,]*)+$"
)
# Clauses end at , ; : but not at the comma of a thousands separator (1,000).
_CLAUSE_RE = re.compile(r"[;:]|(?<!\d),|,(?!\d{3}(?!\d))")


# ---------------------------------------------------------------------------
# Marker tests
# ---------------------------------------------------------------------------


# How far a clause is read around a marker: enough for any real clause, and it keeps the
# work per marker constant however long a run-on "sentence" is.
_CLAUSE_REACH = 80
# At most this many occurrences of one marker are examined in a unit.
_MAX_TRIES = 12


def _clause_bounds(norm: str, pos: int) -> tuple[int, int]:
    low = max(0, pos - _CLAUSE_REACH)
    start = max(norm.rfind(",", low, pos), norm.rfind(";", low, pos), norm.rfind(":", low, pos))
    start = start + 1 if start >= 0 else low
    high = min(len(norm), pos + _CLAUSE_REACH)
    m = _CLAUSE_RE.search(norm, pos, high)
    return start, m.start() if m else high


def _future_jiang(norm: str, pos: int) -> bool:
    """Whether the 将 at pos is the future auxiliary of the replying side."""
    if pos > 0 and norm[pos - 1] in "现已曾即必":
        return False
    start, end = _clause_bounds(norm, pos)
    head = norm[max(start, pos - 30) : pos]
    if "已" in head or "曾" in head:
        return False
    if "了" in norm[pos + 1 : min(end, pos + 31)]:
        return False
    if _NOT_GOVERNMENT_RE.search(head[-8:]) and not re.search(_FIRST_PERSON, head):
        return False
    if _JIANG_ADVERB_RE.match(norm, pos + 1):
        return True
    # 将X纳入Y: the object marker, unless nothing stands between 将 and the verb.
    verb = _OBJECT_VERBS_RE.search(norm, pos + 2, min(end, pos + 28))
    return verb is None


def _upcoming_date_words(norm: str, ctx: DateContext) -> bool:
    """年内 / 年底前 / 10月底前 / 2023年9月底 naming a time still ahead of the letter."""
    for m in islice(_UPCOMING_RE.finditer(norm), _MAX_TRIES):
        start, end = _clause_bounds(norm, m.start())
        if _DONE_RE.search(norm, start, end) or _CUTOFF_RE.search(norm, start, m.start()):
            continue
        if m.group() == "年内" and not _COUNT_BEFORE_RE.search(
            norm, max(0, m.start() - 1), m.start()
        ):
            return True  # this year, which the letter has not yet seen the end of
        window = norm[max(start, m.start() - 14) : m.end()]
        if _deadline_in(window, ctx) is not None:
            return True
    return False


_UPCOMING_RE = re.compile(r"年内|底前|月底|年底|月前")
_COUNT_BEFORE_RE = re.compile(r"[\d一二两三四五六七八九十]")


def _future_year(norm: str, ctx: DateContext) -> bool:
    """到2025年 / 力争2023年9月 with the year ahead of the letter."""
    year = ctx.year
    for m in re.finditer(r"(?:到|至|力争|争取|确保|预计|计划)\s*((?:19|20)\d{2})\s*年", norm):
        if year is None or int(m.group(1)) > year:
            return True
    return False


_DATE_WORD_RE = re.compile(r"(?:19|20)\d{2}\s*年|年内|底前|月底|年底|月前")


@dataclass
class _Marks:
    strong: bool = False
    weak: bool = False
    first: int = -1  # position of the first future marker


# Every future marker holds one of these characters: a unit without any is read no further.
_TRIGGER_RE = re.compile(r"[下今接将力预打即明后拟待计会继争要年底月前内]")


def _marks(norm: str, ctx: DateContext) -> _Marks:
    marks = _Marks()
    if not _TRIGGER_RE.search(norm):
        return marks
    positions: list[int] = []
    for regex in (_FUTURE_WORDS_RE, _PLAN_VERB_RE, _WILL_RE):
        m = regex.search(norm)
        if m:
            positions.append(m.start())
    for m in islice(_JIANG_RE.finditer(norm), _MAX_TRIES):
        if _future_jiang(norm, m.start()):
            positions.append(m.start())
            break
    if positions:
        marks.strong = True
    elif _future_year(norm, ctx) or _upcoming_date_words(norm, ctx):
        marks.strong = True
        first = _DATE_WORD_RE.search(norm)
        positions.append(first.start() if first else 0)
    weak = _WEAK_FUTURE_RE.search(norm)
    if weak:
        marks.weak = True
        positions.append(weak.start())
    marks.first = min(positions) if positions else -1
    return marks


def _progressive(norm: str) -> bool:
    """正在… as the predicate, not as an attribute ('正在实施的…行动')."""
    for m in _PROGRESS_RE.finditer(norm):
        tail = norm[m.end() : m.end() + 10]
        stop = re.search(r"[,;:。]", tail)
        span = tail[: stop.start()] if stop else tail
        if m.group() in ("之中", "推进中", "进行中", "实施中", "建设中", "办理中"):
            return True
        if "的" not in span[:8]:
            return True
    return False


# ---------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------

_G_DAY, _G_MONTH, _G_HALF, _G_YEAR, _G_PLAN = range(5)
_CN_MONTH = r"\d{1,2}|十[一二]?|[一二三四五六七八九]"
_YEAR_MONTH_RE = re.compile(
    rf"(?<![\d-])((?:19|20)\d{{2}})\s*年\s*({_CN_MONTH})\s*月(?!\s*(?:\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*[日号])"
)
# A month without its year ('10月底', '今年6月底前', '明年3月'); written years were read
# (and blanked) before.
_MONTH_ONLY_RE = re.compile(
    rf"(?<![\d])({_CN_MONTH})\s*月\s*(?:底|末|份|前|中旬|下旬)|"
    # '预计今年10月开通' / '将于9月完成': a month named as the time of the act
    rf"(?<=今年|明年|本年)({_CN_MONTH})\s*月(?!\s*(?:\d|[一二三四五六七八九十]{{1,3}}\s*[日号]))|"
    rf"(?<=[于在到])({_CN_MONTH})\s*月(?!\s*(?:\d|[一二三四五六七八九十]{{1,3}}\s*[日号]))"
)
_YEAR_RE = re.compile(
    r"(?<![\d\-—~～])((?:19|20)\d{2})\s*年(?!\s*(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*月)"
)
_RANGE_RE = re.compile(r"(?:19|20)\d{2}\s*年?\s*[-—~～至到]\s*(?:19|20)\d{2}\s*年")
_HALF_RE = re.compile(r"上半年")
# What precedes 上半年, read backwards from it: "2022年上半年" / "明年上半年".
_HALF_LEAD_RE = re.compile(r"(?:(?P<y>(?:19|20)\d{2})\s{0,2}年|(?P<rel>今年|本年|明年))\s{0,2}$")
_THIS_YEAR_RE = re.compile(
    r"今年|本年度|本年|(?<![\d〇零一二两三四五六七八九十])(?:年底前|年内|年底|年末)"
)
_NEXT_YEAR_RE = re.compile(r"明年|下一年度|来年")
_N_YEARS_RE = re.compile(r"([\d一二两三四五六七八九十]{1,3})\s{0,2}年(?:内|时间|之内)")
_N_YEARS_INCL_RE = re.compile(
    r"用\s*([\d一二两三四五六七八九十]{1,3})\s*年\s*\(\s*含(?:今年|本年)\s*\)"
)
_PLAN_PERIOD_RE = re.compile(r"十([一二三四五六七八九])五")
_PROJECT_YEAR_RE = re.compile(
    r"(?:纳入|列入|上报为|列为|确定为|申报为|安排为|作为)\s*((?:19|20)\d{2})\s*年(?:度)?[^,。;:]{0,30}?(?:项目|计划|任务|工程)"
)
_CUTOFF_RE = re.compile(r"截至|截止|至今")
_BOOK_TITLE_RE = re.compile(r"《[^《》\n]{0,200}》")


def _plan_period_end(ch: str) -> int:
    # The N-th five-year plan ends in 1955 + 5N: 十四五 -> 2025, 十五五 -> 2030.
    n = 10 + "一二三四五六七八九".index(ch) + 1
    return 1955 + 5 * n


def _add_years(value: date, years: int) -> date:
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


def _deadline_in(norm: str, ctx: DateContext) -> date | None:
    """The most specific date a (planned) text names that is not in the past: a day beats
    a month, a month a half-year, that a year, and a year a five-year plan."""
    norm = _BOOK_TITLE_RE.sub(lambda m: " " * len(m.group()), norm)
    norm = _RANGE_RE.sub(lambda m: " " * len(m.group()), norm)
    # A cut-off ('截止今年6月底') dates a count, not an action.
    norm = re.sub(
        r"(?:截至|截止|至今)[^,。;:]{0,16}?(?:底|末|日|月|年)",
        lambda m: " " * len(m.group()),
        norm,
    )
    found: list[tuple[int, date]] = []
    year = ctx.year

    def keep(grain: int, value: date | None, month_only: bool = False) -> None:
        if value is None:
            return
        if grain in (_G_DAY, _G_MONTH):
            if ctx.is_past(value, month_only=grain == _G_MONTH or month_only):
                return
        elif year is not None and value.year < year:
            return
        found.append((grain, value))

    for _s, _e, value in iter_dates(norm):
        keep(_G_DAY, value)
    blank = list(norm)
    for m in _YEAR_MONTH_RE.finditer(norm):
        month = cn_to_int(m.group(2))
        if month and 1 <= month <= 12:
            keep(_G_MONTH, month_end(int(m.group(1)), month))
            blank[m.start() : m.end()] = " " * (m.end() - m.start())
    rest = "".join(blank)
    if year is not None:
        for m in _MONTH_ONLY_RE.finditer(rest):
            month = cn_to_int(m.group(1) or m.group(2) or m.group(3))
            if month and 1 <= month <= 12:
                ahead = 1 if rest[max(0, m.start() - 2) : m.start()] == "明年" else 0
                keep(_G_MONTH, month_end(year + ahead, month))
                blank[m.start() : m.end()] = " " * (m.end() - m.start())
        rest = "".join(blank)
    for m in _HALF_RE.finditer(rest):
        window = max(0, m.start() - 12)
        lead = _HALF_LEAD_RE.search(rest, window, m.start())
        if lead and lead.group("y"):
            keep(_G_HALF, date(int(lead.group("y")), 6, 30))
        elif year is not None:
            keep(_G_HALF, date(year + (1 if lead and lead.group("rel") == "明年" else 0), 6, 30))
        begin = lead.start() if lead else m.start()
        blank[begin : m.end()] = " " * (m.end() - begin)
    rest = "".join(blank)
    for m in _N_YEARS_INCL_RE.finditer(rest):
        n = cn_to_int(m.group(1))
        if n and year is not None:
            keep(_G_YEAR, year_end(year + n - 1))
        blank[m.start() : m.end()] = " " * (m.end() - m.start())
    rest = "".join(blank)
    for m in _N_YEARS_RE.finditer(rest):
        n = cn_to_int(m.group(1))
        if n and n < 50:
            if ctx.letter_date is not None:
                keep(_G_HALF, _add_years(ctx.letter_date, n))
            elif year is not None:
                keep(_G_YEAR, year_end(year + n))
            blank[m.start() : m.end()] = " " * (m.end() - m.start())
    rest = "".join(blank)
    for m in _YEAR_RE.finditer(rest):
        keep(_G_YEAR, year_end(int(m.group(1))))
    if year is not None:
        if _NEXT_YEAR_RE.search(rest):
            keep(_G_YEAR, year_end(year + 1))
        elif _THIS_YEAR_RE.search(rest):
            keep(_G_YEAR, year_end(year))
    for m in _PLAN_PERIOD_RE.finditer(rest):
        keep(_G_PLAN, year_end(_plan_period_end(m.group(1))))
    if not found:
        return None
    best = min(grain for grain, _ in found)
    return max(value for grain, value in found if grain == best)


def _project_year(norm: str, ctx: DateContext) -> date | None:
    """'纳入2023年大中修项目…将及时组织实施': the year of the project list the act is in."""
    for m in _PROJECT_YEAR_RE.finditer(norm):
        value = year_end(int(m.group(1)))
        if ctx.year is None or value.year >= ctx.year:
            return value
    return None


# ---------------------------------------------------------------------------
# Firmness
# ---------------------------------------------------------------------------

# Concrete, checkable acts: building or installing a thing, a named event or project, an
# item put into a named plan or list, a platform, works on a site, an enforcement act.
_CONCRETE_RE = re.compile(
    r"增设|新建|修建|兴建|建设(?:一座|一处|一个|\d)|安装|铺装|设置好?[^,。;:]{0,8}(?:点位|标志|设施|信号灯|红绿灯|停车)|"
    r"举办[^,。;:]{0,12}(?:节|会|赛|展|活动)|组织参加|开展“|组织开展“|纳入[^,。;:]{0,16}(?:规划|项目库|计划|项目)|"
    r"列入[^,。;:]{0,16}(?:规划|项目库|计划|项目)|建立(?:统一|全市|全县|全区)[^,。;:]{0,16}平台|引入[^,。;:]{0,20}(?:平台|系统)|"
    r"予以治理|实施动工|动工|开工|暂扣|挂牌|鉴定|签订|表彰|采购|维修|改造|投放运营|二期|三期|"
    r"建设[^,。;:]{0,10}(?:基地|公厕|场|站|馆)"
)
# Directions of effort: a concrete act governed by one of these is not committed to.
_SOFT_GOVERNOR_RE = re.compile(
    r"(?:推动|推进|鼓励|支持|引导|争取|积极争取|督促|协调|配合|尽可能|探索|研究)[^,。;:]{0,6}$"
)
_PURPOSE_RE = re.compile(r"^(?:以确保|以便|以利|从而|为了|为进一步|进而|确保)")


def _firm(
    unit_norm: str, planned: Sequence[tuple[int, int]], has_deadline: bool, has_targets: bool
) -> bool:
    if has_deadline or has_targets:
        return True
    for s, e in planned:
        clause = unit_norm[s:e].strip(" ,;:")
        if _PURPOSE_RE.match(clause):
            continue
        for m in islice(_CONCRETE_RE.finditer(clause), _MAX_TRIES):
            if not _SOFT_GOVERNOR_RE.search(clause[max(0, m.start() - 16) : m.start()]):
                return True
    return False


# ---------------------------------------------------------------------------
# Planned part
# ---------------------------------------------------------------------------


def _clauses(norm: str, depth: Sequence[int], offset: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _CLAUSE_RE.finditer(norm):
        if depth[offset + m.start()]:
            continue
        spans.append((start, m.end()))
        start = m.end()
    if start < len(norm):
        spans.append((start, len(norm)))
    return spans


def _planned_part(
    norm: str, clauses: list[tuple[int, int]], first: int, inherited: bool
) -> tuple[tuple[int, int], ...]:
    """Clauses of the planned part: from the one holding the first future marker on (all of
    them for an inherited item), without those that report done work, with the bare time
    phrases just before it ('2025年,计划新建…')."""
    if inherited or first < 0:
        begin = 0
    else:
        begin = next((k for k, (s, e) in enumerate(clauses) if s <= first < e), 0)
        while begin > 0 and _TIME_CLAUSE_RE.match(
            norm[clauses[begin - 1][0] : clauses[begin - 1][1]].strip()
        ):
            begin -= 1
    kept: list[tuple[int, int]] = []
    for k, (s, e) in enumerate(clauses[begin:], start=begin):
        clause = norm[s:e]
        if _DONE_RE.search(clause) and not (
            k == begin and not inherited and first >= 0 and _marks_after_done(clause, first - s)
        ):
            continue
        kept.append((s, e))
    return tuple(kept)


def _marks_after_done(clause: str, first: int) -> bool:
    """'已将…纳入…,将予以治理' is split at the comma already; a clause that holds both a past
    marker and, after it, the future marker keeps its planned tail."""
    done = _DONE_RE.search(clause)
    return done is not None and first >= 0 and done.start() < first


# ---------------------------------------------------------------------------
# The detector
# ---------------------------------------------------------------------------

# A cut-off page may end inside a heading ('三、加快智慧停'): too short to name an action.
_MIN_FRAGMENT = 8


@dataclass
class _Block:
    """Reading state for the intro or one section."""

    inherited: bool = False  # the whole block carries a commitment (下一步工作打算, lead-in)
    list_future: dict[str, bool] = field(default_factory=dict)  # per item style
    list_last: dict[str, int] = field(default_factory=dict)
    last_unit: Unit | None = None


def detect(paragraphs: Sequence[Paragraph], ctx: DateContext) -> list[Unit]:
    """Read every unit of the given prose lines (the intro's, then each section's, in order)."""
    units: list[Unit] = []
    block = _Block()
    sections_inherit = False
    in_sections = False
    for p_index, para in enumerate(paragraphs):
        if para.section_start:
            if not in_sections:
                # The intro's last words announce the numbered sections that follow:
                # '…我厅将…重点做好以下三项工作。' puts every section in the future.
                last = block.last_unit
                sections_inherit = bool(last and last.kind == KIND_LEAD_IN and last.future)
                in_sections = True
            heading = normalize_heading(para.heading)
            block = _Block(
                inherited=sections_inherit
                or bool(heading and _FUTURE_HEADING_RE.search(heading) and _is_label(heading))
            )
        units.extend(_read_paragraph(p_index, para, block, ctx))
    return units


def normalize_heading(heading: str | None) -> str:
    return normalize(heading or "").strip()


def _is_label(heading: str) -> bool:
    return bool(_LABEL_HEADING_RE.search(heading.rstrip("。.:"))) or len(heading) <= 2


def _spans(
    norm: str, depth: Sequence[int], lead: int, items: list[_Item], forced: int
) -> list[tuple[int, int, _Item | None]]:
    """(start, end, item) of every unit: sentences cut at 。 ; and before each item marker;
    ``forced`` > lead cuts a heading off the start of the line."""
    spans: list[tuple[int, int, _Item | None]] = []
    start = lead
    if forced > lead:
        spans.append((lead, forced, None))
        start = forced
    current: _Item | None = None
    pending = [it for it in items if it.start >= start]
    k = 0
    pos = start
    while True:
        stop = _STOP_RE.search(norm, pos)
        while stop is not None and depth[stop.start()]:
            stop = _STOP_RE.search(norm, stop.end())
        end = stop.end() if stop else len(norm)
        if k < len(pending) and pending[k].start < end:
            item = pending[k]
            k += 1
            if item.start > start:
                spans.append((start, item.start, current))
            current = item
            start = pos = item.end
            continue
        if end > start:
            spans.append((start, end, current))
        if stop is None:
            return spans
        start = pos = end


def _read_paragraph(p_index: int, para: Paragraph, block: _Block, ctx: DateContext) -> list[Unit]:
    norm = para.norm
    live = _live_quotes(norm)
    depth = _depths(norm, live)
    lead = len(norm) - len(norm.lstrip())
    forced = para.heading_end if para.heading_end and not para.heading_run_in else 0
    items = _items(norm, depth, max(lead, forced), block.list_last)
    spans = _spans(norm, depth, lead, items, forced)
    units: list[Unit] = []
    prev_in_para: Unit | None = None
    for index, (s, e, item) in enumerate(spans):
        while s < e and norm[s].isspace():
            s += 1
        while e > s and norm[e - 1].isspace():
            e -= 1
        if e <= s:
            continue
        inherited = block.inherited
        if item is not None:
            if not (item.number > 1 and item.number == block.list_last.get(item.style, 0) + 1):
                # A new list: it carries the commitment of the unit that leads into it.
                lead_in = prev_in_para if item.start > lead else block.last_unit
                block.list_future[item.style] = bool(lead_in is not None and lead_in.future)
            block.list_last[item.style] = item.number
            inherited = inherited or block.list_future.get(item.style, False)
        heading_unit = (para.heading_line or (forced and s < forced)) and index == 0
        run_in = para.heading_run_in and s == lead and para.heading_end > 0
        unit = _read_unit(
            p_index,
            para,
            s,
            e,
            depth,
            ctx,
            prev=block.last_unit,
            inherited=inherited,
            heading_unit=bool(heading_unit),
            run_in=para.heading_end - s if run_in else 0,
        )
        units.append(unit)
        block.last_unit = unit
        prev_in_para = unit
    return units


def _read_unit(
    p_index: int,
    para: Paragraph,
    s: int,
    e: int,
    depth: Sequence[int],
    ctx: DateContext,
    *,
    prev: Unit | None,
    inherited: bool,
    heading_unit: bool,
    run_in: int,
) -> Unit:
    """Read one unit: a promise (with its planned part, deadline, targets, firmness), a
    list lead-in, a label heading, or a statement."""
    norm = para.norm[s:e]
    orig = para.orig[s:e]

    def make(kind: str, future: bool = False, *, courtesy: bool = False) -> Unit:
        return Unit(p_index, s, e, orig, norm, para.section, kind, future, courtesy=courtesy)

    closed = norm[-1] in "。;"
    if para.last and not closed and len(norm) < _MIN_FRAGMENT and e == len(para.norm.rstrip()):
        return make(KIND_STATEMENT)
    if heading_unit and _is_label(norm.rstrip("。.:")):
        return make(KIND_LABEL, inherited)
    # '请您…提出申请,我局…勘察': a request with the replier's own act on it is a promise;
    # any other request or thanks is courtesy.
    request = bool(_REQUEST_RE.match(norm) and _OUR_ACT_RE.search(norm))
    if not request and _COURTESY_RE.search(norm):
        return make(KIND_STATEMENT, courtesy=True)
    marks = _marks(norm, ctx)
    lead_in = norm.endswith(":") or bool(_ANNOUNCE_RE.search(norm.rstrip("。:; ")))
    if not (
        marks.strong
        or marks.weak
        or inherited
        or request
        or run_in
        or (prev is not None and prev.future and (lead_in or _CONTINUATION_RE.match(norm)))
    ):
        # Nothing here commits to anything: a statement (or a lead-in to a list that
        # carries no commitment, which reads as a statement too).
        return make(KIND_STATEMENT)
    need = bool(_NEED_RE.search(norm))
    done = bool(_DONE_RE.search(norm))
    others = bool(_OTHERS_RE.search(norm))
    if lead_in:
        future = (marks.strong and not others) or (marks.weak and not need) or inherited
        future = future or bool(prev is not None and prev.future and prev.paragraph == p_index)
        return make(KIND_LEAD_IN, future)
    progressive = _progressive(norm)
    own = (marks.strong and not others) or (
        marks.weak and not (need or done or others or progressive)
    )
    blocked = done or need or (progressive and not marks.strong)
    continuation = bool(
        _CONTINUATION_RE.match(norm)
        and prev is not None
        and prev.kind == KIND_PROMISE
        and prev.paragraph == p_index
        and not done
    )
    planned: tuple[tuple[int, int], ...]
    if own or request:
        planned = _planned_part(norm, _clauses(norm, depth, s), marks.first, inherited=False)
    elif (inherited and not blocked) or continuation or (heading_unit and inherited):
        planned = _planned_part(norm, _clauses(norm, depth, s), -1, inherited=True)
    elif run_in and inherited:
        planned = ((0, run_in),)
    else:
        return make(KIND_STATEMENT)
    text = " , ".join(norm[a:b] for a, b in planned)
    deadline = _deadline_in(text, ctx) if planned else None
    if deadline is None and (own or request):
        deadline = _project_year(norm, ctx)
    targets = [
        target
        for a, b in planned
        if not _PURPOSE_RE.match(norm[a:b].strip(" ,;:"))
        for target in extract_targets(orig[a:b], norm[a:b], deadline)
    ]
    firm = _firm(norm, planned, deadline is not None, bool(targets))
    return Unit(
        p_index,
        s,
        e,
        orig,
        norm,
        para.section,
        KIND_PROMISE,
        True,
        planned=planned,
        deadline=deadline,
        firm=firm,
        targets=tuple(targets),
    )


def promises_of(units: Sequence[Unit]) -> tuple[ParsedPromise, ...]:
    return tuple(
        ParsedPromise(u.text, u.section, u.deadline, u.targets, u.firm, u.paragraph)
        for u in units
        if u.kind == KIND_PROMISE
    )
