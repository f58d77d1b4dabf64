"""Field extractors for the parts of a letter around its numbered sections.

Each function reads *normalised* text (see text.normalize) and, where a value is cut from
the letter, returns a span so the caller can take the original characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .text import cn_to_int, int_to_cn, squeeze

# ---------------------------------------------------------------------------
# Metadata labels (索引号, 发布机构, 公开日期 …)
# ---------------------------------------------------------------------------

# label -> field it feeds (None: a known label whose value the parser does not need; it
# is still listed so that it ends the previous label's value in a two-column row).
LABELS: dict[str, str | None] = {
    "索引号": "index_number",
    "发布机构": "publisher",
    "发文机关": "publisher",
    "发文单位": "publisher",
    "发布单位": "publisher",
    "公开日期": "publish_date",
    "发布日期": "publish_date",
    "发布时间": "publish_date",
    "生成日期": "publish_date",
    "发表时间": "publish_date",
    "更新时间": "publish_date",
    "编稿时间": "publish_date",
    "成文日期": "written_date",
    "发文日期": "written_date",
    "印发日期": "written_date",
    "签发日期": "written_date",
    "答复日期": "reply_date",
    "办复日期": "reply_date",
    "答复时间": "reply_date",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "发文文号": "doc_number",
    "信息名称": "info_title",
    "标题": "info_title",
    "名称": "info_title",
    "题目": "proposal_title",
    "案由": "proposal_title",
    "提案标题": "proposal_title",
    "建议标题": "proposal_title",
    "提案名称": "proposal_title",
    "建议名称": "proposal_title",
    "来源": "source",
    "信息来源": "source",
    "承办单位": "handler",
    "主办单位": "handler",
    "答复单位": "handler",
    "办理单位": "handler",
    "类别": "classification",
    "办理结果": "classification",
    "办理类别": "classification",
    "答复类别": "classification",
    "办复类别": "classification",
    "提案人": "proposers",
    "领衔人": "proposers",
    "领衔代表": "proposers",
    "领衔委员": "proposers",
    "提出人": "proposers",
    "建议人": "proposers",
    "提案者": "proposers",
    "第一提案人": "proposers",
    "提案号": "number",
    "建议号": "number",
    "案号": "number",
    "提案编号": "number",
    "建议编号": "number",
    "编号": "number",
    "自编号": "number",
    "届次": "session",
    # Known labels without a field of their own.
    "存放位置": None,
    "公开方式": None,
    "公开范围": None,
    "公开形式": None,
    "公开属性": None,
    "主题分类": None,
    "体裁分类": None,
    "组配分类": None,
    "服务对象": None,
    "签发人": None,
    "是否同意公开": None,
    "代表团": None,
    "交办日期": None,
    "会办": None,
    "会办单位": None,
    "协办单位": None,
    "答复内容": None,
    "所属主题": None,
    "作者": None,
    "关键词": None,
    "主题词": None,
    "有效性": None,
    "生效日期": None,
    "统一编号": None,
    "联系电话": None,
    "联系人": None,
    "时效": None,
}

# Labels are often spaced out to align columns ('索 引 号', '类 别:B').
_LABEL_ALT = "|".join(
    r"\s*".join(re.escape(ch) for ch in label) for label in sorted(LABELS, key=len, reverse=True)
)
_LABEL_AT_START_RE = re.compile(rf"(?:{_LABEL_ALT})(?=\s|:|$)")
_LABEL_ANY_RE = re.compile(
    rf"(?:(?<=[\s|•·▪◆■●])|^)(?P<label>{_LABEL_ALT})\s*(?:(?P<colon>:)\s*|(?=\s)|$)"
)
# Bullets and table pipes in front of a label ('  • 来源:…', '| 发布机构 | …').
_LINE_LEAD_RE = re.compile(r"[\s|•·▪◆■●*]*")
# Inside a value, an unknown label ('关键字:', '生效时间:') or a page widget ('字体:[大 中 小]',
# '| 打印', '分享到') ends it: page chrome is never part of a value.
# Every alternative starts with a required character (see _SESSION_RE on why).
_VALUE_END_RE = re.compile(
    r"[|｜]|(?<=\s)[\u4e00-\u9fff]{2,6}\s*:|(?:选择阅读字号|字体大小|字体|字号|打印本页|打印|"
    r"关闭窗口|分享到|浏览次数|浏览量|阅读次数|点击数|点击量)(?:\s*[:\[【(]|\s*$)|"
    r"[\[【]\s*(?:大|打印|关闭)"
)
DATE_FIELDS = frozenset({"publish_date", "written_date", "reply_date"})


@dataclass
class LabelCell:
    label: str  # canonical (spaces removed)
    field: str | None
    start: int  # value span in the line
    end: int
    colon: bool = True  # written with a colon ('文号:'), not a bare column header ('文号')


def label_cells(norm: str) -> list[LabelCell] | None:
    """Split a metadata line into label/value cells, or None if it does not start with a label."""
    lead = _LINE_LEAD_RE.match(norm)
    offset = lead.end() if lead else 0
    if not _LABEL_AT_START_RE.match(norm, offset):
        return None
    matches = list(_LABEL_ANY_RE.finditer(norm, offset))
    if not matches or matches[0].start() != offset:
        return None
    cells: list[LabelCell] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(norm)
        start = m.end()
        while start < end and (norm[start].isspace() or norm[start] in "|｜"):
            start += 1
        cut = _VALUE_END_RE.search(norm, start, end)
        stop = cut.start() if cut else end
        while stop > start and norm[stop - 1].isspace():
            stop -= 1
        label = squeeze(m.group("label"))
        cells.append(LabelCell(label, LABELS.get(label), start, stop, bool(m.group("colon"))))
    return cells


def is_label_name(text: str) -> bool:
    return squeeze(text) in LABELS


# ---------------------------------------------------------------------------
# Letter title
# ---------------------------------------------------------------------------

_TITLE_HINT_RE = re.compile(r"答复|复函|回复|的函|办理情况|办理意见")
_TITLE_DONE_RE = re.compile(r"(?:函|答复|复函|回复|意见|报告|情况|通知)\s*$")
# A title never starts with these; a line that does continues the line above it.
_CONTINUATION_START_RE = re.compile(r"^(?:第|的|和|及|与|暨|\d)")
_TITLE_NAMES_RE = re.compile(r"第\s*[A-Za-z]?\d+\s*号|届|提案|建议")


def find_title(lines: list[str]) -> tuple[int, int] | None:
    """(first, last) indices of the letter-title lines among header lines, or None."""
    # Among hinted lines (a site column such as '建议提案答复' can be one) the title is the
    # one naming the proposal: a number, a session, 关于/对.
    best: tuple[int, int] | None = None
    for i, line in enumerate(lines):
        if not _TITLE_HINT_RE.search(line) or len(line) > 150 or line.endswith(":"):
            continue
        score = (
            2 * bool(_TITLE_NAMES_RE.search(line))
            + bool(re.search(r"关于|对", line))
            + (len(line) >= 12)
        )
        if best is None or score > best[0]:
            best = (score, i)
    if best is not None:
        i = best[1]
        line = lines[i]
        first = i
        if i > 0 and _CONTINUATION_START_RE.match(line) and not _TITLE_HINT_RE.search(lines[i - 1]):
            first = i - 1
        return first, i
    for i, line in enumerate(lines):
        # A title split so that its first line carries no hint: join forward.
        if (
            i + 1 < len(lines)
            and _CONTINUATION_START_RE.match(lines[i + 1])
            and _TITLE_HINT_RE.search(lines[i + 1])
            and not _TITLE_DONE_RE.search(line)
        ):
            return i, i + 1
    return None


# ---------------------------------------------------------------------------
# Session, proposal number, kind
# ---------------------------------------------------------------------------

_NUM = r"[0-9一二三四五六七八九十两〇零]{1,4}"
# Every pattern here starts with a required character, never with an optional part or \s*:
# a pattern that can start with \s* is retried at every space of a long space run, which
# makes it quadratic on pasted text with wide indentation.
# 第十五届…第五次会议, 十五届五次, 政协子洲县第十届委员会第二次会议, 第二届人大一次会议,
# 第十五届人民代表大会\n第四次会议. The gap between 届 and 次 is bounded, so the lazy
# match stays linear.
_SESSION_RE = re.compile(
    rf"(?:第\s*)?(?P<term>{_NUM})\s*届(?P<gap>[^第届次。,;:!?《》“”]{{0,24}}?)第?\s*(?P<meeting>{_NUM})\s*次"
)


def find_session(norm: str) -> str | None:
    for m in _SESSION_RE.finditer(norm):
        term, meeting = cn_to_int(m.group("term")), cn_to_int(m.group("meeting"))
        if term and meeting and 0 < term < 100 and 0 < meeting < 30:
            return f"{int_to_cn(term)}届{int_to_cn(meeting)}次会议"
    return None


# A proposal number as written: 89, D022, 2021-015, or a long database code (20250118040077).
_N = r"(?P<n>[A-Za-z]{0,3}\d{1,20}(?:-\d{1,4})?)"
_NUMBER_RES = (
    # 第89号提案 / 第72提案 (号 dropped before the genre word)
    re.compile(
        rf"第\s*{_N}\s*(?:号\s*(?:(?:重点|集体|委员|代表|政协|人大)\s*)?)?(?:提案|建议|议案|意见)"
    ),
    # 提案编号: 15 / 建议号为D022 / 提案:第25号
    re.compile(rf"(?:提案|建议|议案)\s*(?:编号|号|编码)\s*(?:[为是:第]\s*)*{_N}"),
    re.compile(rf"(?:提案|建议|议案)\s*:?\s*第\s*{_N}\s*号"),
    # 会议第16号 / 会议16号议案
    re.compile(rf"会议\s*第?\s*{_N}\s*号"),
    # 《关于…的提案》(第0312号) / (20201398号): the number in brackets after the cited title.
    re.compile(rf"[》”]\s*\(\s*第?\s*{_N}\s*号\s*(?:(?:提案|建议)\s*)?\)"),
    # 自编号: 45, a committee's own running number when nothing else names one.
    re.compile(rf"自编号\s*(?:[:为是]\s*)?{_N}"),
)


def find_number(texts: Iterable[str]) -> str | None:
    """The proposal number as written (89, D022), without 第/号."""
    texts = list(texts)
    for regex in _NUMBER_RES:
        for text in texts:
            m = regex.search(text)
            if m:
                return squeeze(m.group("n"))
    return None


_PROPOSAL_STRONG_RE = re.compile(r"政协|提案")
_SUGGESTION_STRONG_RE = re.compile(
    r"人大|人民代表大会|代表建议|议案|号建议|领衔代表|代表团|代表提出"
)
_PROPOSAL_WEAK_RE = re.compile(r"委员(?!会)")
_SUGGESTION_WEAK_RE = re.compile(r"代表(?!大会)")


# The body that held the session decides: 政协…届…次会议 / 第十届委员会第二次会议 is a CPPCC
# session, 人大…届…次会议 / 人民代表大会第四次会议 a people's congress.
_SESSION_BODY_PROPOSAL_RE = re.compile(r"政协")
_SESSION_BODY_SUGGESTION_RE = re.compile(r"人大|人民代表大会|代表大会")


def kind_from_session(norm: str) -> str | None:
    """proposal / suggestion from the words around the first session named, or None."""
    for m in _SESSION_RE.finditer(norm):
        term, meeting = cn_to_int(m.group("term")), cn_to_int(m.group("meeting"))
        if not (term and meeting and 0 < term < 100 and 0 < meeting < 30):
            continue
        # 人民代表大会 may come after the term (第十四届人民代表大会第四次会议) and 政协 before
        # it (市政协十五届五次会议, 政协子洲县第十届委员会).
        around = norm[max(0, m.start() - 16) : m.start()] + m.group("gap")
        after = norm[m.end() : m.end() + 4]
        proposal = bool(_SESSION_BODY_PROPOSAL_RE.search(around)) or "委员会" in m.group("gap")
        suggestion = bool(_SESSION_BODY_SUGGESTION_RE.search(around)) or after.startswith("人大")
        if proposal != suggestion:
            return "proposal" if proposal else "suggestion"
    return None


def find_kind(text: str, addressee: str | None = None) -> str:
    """proposal / suggestion / other from title, metadata and intro.

    The session's body (政协 / 人大) decides when it is named. Otherwise institution words
    (政协, 人大, 提案, 议案) weigh three times as much as a bare 委员 or 代表 mentioned in the
    text, which on its own only tips the balance. The salutation (``addressee``) breaks a tie
    only: a CPPCC reply may well greet its proposer as 代表.
    """
    flat = squeeze(text)
    by_session = kind_from_session(flat)
    if by_session is not None:
        return by_session
    proposal = 3 * len(_PROPOSAL_STRONG_RE.findall(flat)) + len(_PROPOSAL_WEAK_RE.findall(flat))
    suggestion = 3 * len(_SUGGESTION_STRONG_RE.findall(flat)) + len(
        _SUGGESTION_WEAK_RE.findall(flat)
    )
    if proposal > suggestion:
        return "proposal"
    if suggestion > proposal:
        return "suggestion"
    if addressee:
        who = squeeze(addressee)
        if _PROPOSAL_WEAK_RE.search(who):
            return "proposal"
        if _SUGGESTION_WEAK_RE.search(who):
            return "suggestion"
    return "other"


# ---------------------------------------------------------------------------
# Proposal title as cited
# ---------------------------------------------------------------------------

_QUOTED_RE = re.compile(
    r"《(?P<q>[^《》\n]{4,200})》|“(?P<d>[^“”\n]{4,200})”|\"(?P<a>[^\"\n]{4,200})\""
)
_CITE_CONTEXT_RE = re.compile(r"收悉|提出的|所提|提交的|提的|领衔|办理|交办|转来|答复如下|回复如下")
# Unquoted: 您提出的关于加强垃圾分类工作的建议提案收悉 -> 关于加强垃圾分类工作的建议.
_UNQUOTED_RE = re.compile(
    r"(?P<t>关于[^,。;:!?“”《》\n]{2,120}?(?:建议|提案|意见|议案|问题|报告))"
    # "…的建议的提案收悉": a genre word wrapped once more is not part of the title.
    r"(?:(?<=建议|提案|意见|议案)的(?:提案|建议)|提案|建议)?"
    r"(?=(?:已|均已|业已)?收悉|办理|的?答复|的?回复|,|。|;|\(|$)"
)
_WRAPPED_TITLE_RE = re.compile(r"(?:的|之)?(?:答复函|答复|复函|回复|的函|办理情况|函)\s*$")


_CITED_BEFORE_RE = re.compile(r"(?:提出的|所提的?|提交的|提的|领衔的?|关于)\s*$")
_CITED_AFTER_RE = re.compile(
    r"\s*(?:\([^)]{0,20}\)\s*)?(?:的?(?:提案|建议|议案)\s*)?(?:已|均已)?收悉"
)


def find_cited_title(intro_norm: str) -> tuple[int, int] | None:
    """Span of the proposal title cited in the opening of the intro."""
    head = intro_norm[:1500]
    # The citation lives in the sentence that acknowledges receipt; look there first so a
    # policy quoted later in the intro is not mistaken for the proposal.
    end = len(head)
    cite = _CITE_CONTEXT_RE.search(head)
    if cite:
        stop = head.find("。", cite.end())
        end = stop if stop != -1 else len(head)
    for window in (head[:end], head):
        best: tuple[int, int, int] | None = None
        for m in _QUOTED_RE.finditer(window):
            group = next(g for g in ("q", "d", "a") if m.group(g) is not None)
            # A quote right after 提出的, or right before 收悉, or starting with 关于 is the
            # proposal's title; another quote (a law, a slogan) only if nothing better.
            score = (
                2 * bool(_CITED_BEFORE_RE.search(window, max(0, m.start() - 12), m.start()))
                + 2 * bool(_CITED_AFTER_RE.match(window, m.end()))
                + window.startswith("关于", m.start(group))
            )
            if best is None or score > best[0]:
                best = (score, m.start(group), m.end(group))
        unquoted = _UNQUOTED_RE.search(window)
        if unquoted and (best is None or best[0] == 0):
            # An unquoted 关于…建议 span beats a quote that is not a citation at all
            # ("根据《规划法》，你们提出的关于…的建议收悉").
            return unquoted.start("t"), unquoted.end("t")
        if best is not None:
            return best[1], best[2]
    return None


def title_from_wrapper(norm: str) -> tuple[int, int] | None:
    """The proposal title inside a letter title or 信息名称 ('《…》答复的函', '关于…的答复')."""
    m = _QUOTED_RE.search(norm)
    if m:
        group = next(g for g in ("q", "d", "a") if m.group(g) is not None)
        return m.start(group), m.end(group)
    start = norm.find("关于")
    if start == -1:
        return None
    tail = _WRAPPED_TITLE_RE.search(norm, start)
    end = tail.start() if tail else len(norm)
    # "关于对…第14号提案的复函" names the number, not the title.
    if re.search(r"第\s*[A-Za-z]?\d+\s*号", norm[start:end]) or end - start < 6:
        return None
    return start, end


# ---------------------------------------------------------------------------
# Salutation and proposers
# ---------------------------------------------------------------------------

_HONORIFIC_END_RE = re.compile(
    r"(?:委员|代表|同志|先生|女士|老师|主任|主席|主委|会长|院长|局长|书记|负责人|们|各位|"
    r"小组|联组|界别|支部|总支|委员会|市委|市委会|县委|区委|党派|您好|你好)\s*$"
)
_NEXT_IS_LETTER_RE = re.compile(
    r"^(?:您|你|贵|首先|现将|现就|收到|感谢|非常感谢|提出的|所提的?|关于您|对您|针对您)"
)
# A salutation without its colon ('高松代表' alone on a line) names people by a personal
# title; an institution (委员会, 市委) never stands alone on a line as the addressee.
_PERSONAL_END_RE = re.compile(
    r"(?:委员|代表|同志|先生|女士|老师)\s*(?:们)?\s*(?:,?\s*(?:您好|你好|们好))?\s*[!]?$"
)
_SAL_FORBIDDEN_RE = re.compile(r"[,。;!?《》“”【】〔〕\[\]]|答复|复函|如下")
# Digits only appear in a salutation as a head count: 孙八等5位委员.
_SAL_DIGITS_RE = re.compile(r"\d")
_SAL_HEADCOUNT_RE = re.compile(r"等\s*\d{1,3}\s*[位名人]")
# A joint salutation lists names: 陈桂平、胡泽云、…等代表 can run past the usual 40 characters.
_NAME_LIST_RE = re.compile(r"[\u4e00-\u9fff·]{2,5}(?:\s*[、,]\s*[\u4e00-\u9fff·]{2,5}){2,40}")
_MAX_SALUTATION = 40
_MAX_NAME_LIST = 240


@dataclass
class Salutation:
    end: int  # end of the salutation (after the colon) in the line
    names: str  # the part naming the addressee


_GREETING_TAIL_RE = re.compile(r"[,\s]*(?:您好|你好|们好)\s*!?$")
_NAME_PART_RE = re.compile(r"[\u4e00-\u9fff·、\s]{2,12}")


def _addressee(who: str) -> str:
    """The addressee without '致' in front, a greeting after ('张三委员,您好') or commas
    between names ('张三,李四委员' -> '张三、李四委员')."""
    who = who.strip()
    if who.startswith("致"):
        who = who[1:]
    if len(who) <= _MAX_NAME_LIST:
        who = _GREETING_TAIL_RE.sub("", who) or who
    parts = who.split(",")
    if len(parts) > 1 and all(_NAME_PART_RE.fullmatch(p.strip()) for p in parts):
        who = "、".join(p.strip() for p in parts)
    return who


def _addressee_ok(who: str) -> bool:
    if not who or _SAL_FORBIDDEN_RE.search(who) or is_label_name(who):
        return False
    if _SAL_DIGITS_RE.search(_SAL_HEADCOUNT_RE.sub("", who)):
        return False
    if not re.sub(r"\([^()]*\)", "", who).strip():
        return False  # only a bracketed note, such as '(此件公开):
    return not _LABEL_AT_START_RE.match(who)


def salutation_at(norm: str, next_norm: str | None) -> Salutation | None:
    """Recognise '王坤委员:' / '尊敬的周平委员:' / '陈潜代表您好:' at the start of a line,
    and a salutation line without its colon ('高松代表') when the letter follows it."""
    colon = norm.find(":")
    if colon <= 0:
        return _salutation_without_colon(norm, next_norm)
    who = _addressee(norm[:colon])
    if colon > _MAX_SALUTATION and not (
        colon <= _MAX_NAME_LIST
        and _PERSONAL_END_RE.search(who)
        and _NAME_LIST_RE.match(re.sub(r"^尊敬的?", "", who))
    ):
        return _salutation_without_colon(norm, next_norm)
    if not _addressee_ok(who):
        return None
    rest = norm[colon + 1 :].strip()
    honorific = bool(_HONORIFIC_END_RE.search(who))
    if not honorific:
        # A bare name ('王坤:') only counts when the letter itself follows.
        follower = rest or (next_norm or "")
        if not _NEXT_IS_LETTER_RE.match(follower):
            return None
    return Salutation(end=colon + 1, names=who)


def _salutation_without_colon(norm: str, next_norm: str | None) -> Salutation | None:
    if len(norm) > _MAX_NAME_LIST or ":" in norm or not _PERSONAL_END_RE.search(norm):
        return None
    who = _addressee(norm.rstrip("!"))
    if len(who) > _MAX_SALUTATION and not _NAME_LIST_RE.match(re.sub(r"^尊敬的?", "", who)):
        return None
    if not _addressee_ok(who) or not next_norm:
        return None
    if not (_NEXT_IS_LETTER_RE.match(next_norm.strip()) or next_norm.startswith(("您好", "你好"))):
        return None
    return Salutation(end=len(norm), names=who)


_NAME_SPLIT_RE = re.compile(r"[、,;/\s]+")
_NAME_STRIP_RE = re.compile(
    r"(?:等\s*[0-9一二三四五六七八九十]*\s*(?:位|名|人)?\s*)?"
    r"(?:全国|省|市|县|区)?(?:政协|人大)?(?:委员|代表|同志|先生|女士|老师)?\s*(?:您好|你好|们好)?\s*$"
)
_PLACEHOLDER_RE = re.compile(
    r"^(?:[xX×*＊]+|某+|某某.*|[xX]{2,}.*|.*[xX×]{2,}.*|○+|〇+|各位|您|你|你们|您们)$"
)


def proposer_names(who: str) -> list[str]:
    """Names in a salutation: joint lists split, titles and 等 stripped, placeholders dropped."""
    # Notes in brackets ('张三(领衔)', '李四(民盟)') are not part of a name.
    who = re.sub(r"\([^()]*\)", " ", who).strip()
    who = re.sub(r"^尊敬的?", "", who)
    who = _NAME_STRIP_RE.sub("", who)
    names: list[str] = []
    for part in _NAME_SPLIT_RE.split(who):
        part = _NAME_STRIP_RE.sub("", part).strip()
        # "张三和李四" joins two short personal names.
        pieces = (
            part.split("和")
            if re.fullmatch(r"[\u4e00-\u9fff]{2,4}和[\u4e00-\u9fff]{2,4}", part)
            else [part]
        )
        for piece in pieces:
            piece = piece.strip()
            if piece and not _PLACEHOLDER_RE.match(piece) and piece not in names:
                names.append(piece)
    return names


# A letter addressed to a unit (a co-handler's opinion to the lead unit) names the proposers
# in its first sentence instead: 杨春波代表提出的… / 张三、李四委员联名提出的….
_CITED_PROPOSERS_RE = re.compile(
    r"(?:^|(?<=[,。;:\s]))(?P<names>[\u4e00-\u9fff]{2,4}(?:、[\u4e00-\u9fff]{2,4}){0,30})"
    r"(?:等\s*\d{0,3}\s*[位名]?\s*)?(?:政协|人大)?(?:委员|代表)(?:们)?"
    r"(?:在[^,。;:]{1,40}?)?(?:领衔|联名)?(?:提出|所提|提交)"
)


def proposers_in_intro(intro_norm: str) -> list[str]:
    """Proposers named in the opening sentence ('杨春波代表提出的…收悉')."""
    head = intro_norm[:300]
    stop = head.find("。")
    m = _CITED_PROPOSERS_RE.search(head[: stop if stop != -1 else len(head)])
    if m is None or re.match(r"感谢|谢谢|尊敬|首先|对于|关于|针对", m.group("names")):
        return []
    return proposer_names(m.group("names"))


# ---------------------------------------------------------------------------
# Signature, closing and organisation names
# ---------------------------------------------------------------------------

_ORG_SUFFIX_RE = re.compile(
    r"(?:局|委|办|厅|院|府|会|中心|公司|部|所|站|处|队|室|社|馆|行|署|集团|街道|办事处|学校|大学|"
    r"学院|医院|银行|协会|联合会|委员会|管委会|政府|党组|分局|支队|大队|台|团|组|镇|乡|场|园区)"
    r"\s*(?:[(（](?:代章|盖章|章|印)[)）])?$"
)
_ORG_ALIAS_RE = re.compile(r"\([^()]{2,30}\)$")
_ORG_FORBIDDEN_RE = re.compile(r"[,。;:!?、“”《》0-9]")
_CLOSING_PHRASE_RE = re.compile(
    r"^(?:最后\s*(?:,\s*)?)?(?:再次|衷心|非常|十分|诚挚|真诚|特别|由衷)?(?:感谢|谢谢|致谢|感激)|"
    r"^(?:特此|此复|专此|此致|敬礼|顺致|顺颂|以上答复|以上意见|以上回复|如有不妥|欢迎|恳请|敬请|请予|"
    r"请批评|希望您|望您|您如有|如您|若您|如对|对答复|联系人|联系电话|联系方式|承办人|经办人|"
    r"签发人|承办负责人|办理负责人|负责人|分管领导|抄送|附件|电话|地址|邮编|手机|"
    r"(?:注|备注|附注|说明)\s*[:0-9①])|"
    r"^[(（\[【][^)）\]】]{0,30}(?:公开|盖章|此件|联系|印发|抄送)"
)


def looks_like_org(norm: str, strict: bool = True) -> bool:
    """A short unpunctuated line that names an institution (an agency signature)."""
    line = norm.strip()
    if len(line) < 2 or len(line) > 45 or _ORG_FORBIDDEN_RE.search(line):
        return False
    if _CLOSING_PHRASE_RE.match(line):
        return False
    if not re.search(r"[\u4e00-\u9fff]{2}", line):
        return False
    # '泗县城市管理局(泗县城市管理行政执法局)': a body with its second name in brackets.
    alias = _ORG_ALIAS_RE.search(line)
    if alias and alias.start() >= 2 and _ORG_SUFFIX_RE.search(line, 0, alias.start()):
        return True
    return bool(_ORG_SUFFIX_RE.search(line)) or not strict


def clean_org(text: str) -> str:
    return re.sub(r"\s*[(（](?:代章|盖章|章|印)[)）]\s*$", "", text.strip())


def is_closing_phrase(norm: str) -> bool:
    return bool(_CLOSING_PHRASE_RE.match(norm.strip()))


# ---------------------------------------------------------------------------
# Document number and handling class
# ---------------------------------------------------------------------------

_DOC_RE = re.compile(
    r"[\u4e00-\u9fffA-Za-z]{1,12}\s*[〔【\[(]\s*(?:19|20)\d{2}\s*[〕】\])]\s*(?:第\s*)?\d{1,5}\s*号"
)


def find_doc_number(norm: str) -> tuple[int, int] | None:
    m = _DOC_RE.search(norm)
    return (m.start(), m.end()) if m else None


_CLASS_LABEL_RE = re.compile(
    r"(?:办理结果|办理类别|答复类别|办复类别|办理类型|结果类别|答复类型|类\s*别|分\s*类)\s*"
    r"(?:[:为是]\s*)?(?:[\"“]\s*)?(?P<c>[A-D])(?:\s*类)?(?![A-Za-z])"
)
_CLASS_FORM_RES = (
    re.compile(r"号\s*(?P<c>[A-D])\s*类"),  # …27号C类
    re.compile(r"[〔【\[(]\s*(?P<c>[A-D])\s*(?:类\s*)?[〕】\])]"),  # 〔A〕 (B类)
    re.compile(r"^\s*(?P<c>[A-D])\s*类(?:提案|建议|答复|件)?\s*$"),  # a line "A类"
    # 县政协十届三次会议A类第72提案: the class before the proposal's number.
    re.compile(r"(?<![A-Za-z])(?P<c>[A-D])\s*类\s*第\s*[A-Za-z]{0,3}\d"),
)
# Footnotes explaining the classes ('注:A类指所提问题已经解决…') must not set the class.
_CLASS_FOOTNOTE_RE = re.compile(
    r"^\s*(?:注|备注|说明|附注|注释)\s*[:0-9①]|[A-D]\s*类\s*(?:是指|指|表示|为|即|代表)|"
    r"[A-D]\s*类.{0,80}[A-D]\s*类"
)


def find_classification(lines: Iterable[str]) -> str | None:
    candidates = [ln for ln in lines if not _CLASS_FOOTNOTE_RE.search(ln)]
    for line in candidates:
        m = _CLASS_LABEL_RE.search(line)
        if m:
            return m.group("c")
    for regex in _CLASS_FORM_RES:
        for line in candidates:
            m = regex.search(line)
            if m:
                return m.group("c")
    return None


@dataclass
class Metadata:
    """Values read from labelled header lines, by field name (first occurrence wins)."""

    values: dict[str, str] = field(default_factory=dict)

    def put(self, key: str | None, value: str) -> None:
        if key and value and key not in self.values:
            self.values[key] = value

    def get(self, key: str) -> str | None:
        return self.values.get(key)
