"""Personal contact details in reply letters: find them, and mask them before publishing.

A detail is personal when it identifies or reaches a natural person as a point of contact
(the labelling rules are the sample set's PII.md). What is found:

============  ============  ===========================================================
kind          label         what
============  ============  ===========================================================
contact_name  联系人姓名    the value of a contact/handler field (联系人, 联 系 人, 承办人,
                            经办人, 办理人, 联络人, …人员, combined labels such as
                            联系人及联系电话), a name right after 联系电话:/联系方式:, a name
                            on a contact-block row that lost its label; then every other
                            occurrence of that name (2+ characters, without a title such
                            as 同志/科长) in the letter
phone         联系电话      a landline (7–8 digits, optional area code, separators and
                            extension) in a contact field, or in a contact block that
                            names any person (kept officials included); never under a
                            热线/值班/监督/举报/投诉/咨询/传真/邮编 label, never a
                            bare-digit date, never in a block naming no person (a unit's
                            own number) nor in a sentence without a label
mobile        手机号码      1[3-9] + 9 digits (+86, spaces, dashes allowed) anywhere, not
                            part of a longer run of digits or letters
email         电子邮箱      an e-mail address anywhere
id_number     身份证号码    18 characters with a birth date from 1900 to today and a valid
                            GB 11643 check character, anywhere
address       家庭住址 /    the value of a home-address label (家庭住址, 住址, …) or of a
              银行账号      personal bank-account label (银行卡号, 银行账号, …)
manual        人工隐去      a selection masked by staff (``mask=`` below)
============  ============  ===========================================================

Kept: officials named in office (签发人, 承办负责人, 分管领导, …), editors, proposers,
units; 索引号, unified social credit codes, 文号, URLs, registration numbers of the page
chrome (ICP备, 公网安备, 网站标识码) and standard numbers (GB 50016—2014) are protected
regions that no span may touch; proposal numbers, bare-digit dates, amounts and
12345-type hotlines match no pattern to begin with.

A contact block is a run of units (lines, or sentences of a line) that carry a field label
or are a row of one (``<name> <number>``), with only blank or date lines between them.

Placeholders (``PiiSpan.placeholder``): a span in a contact block becomes ``已隐去``
(``联系电话：已隐去``, ``联系人:已隐去``); a span in running text becomes
``（<label>已隐去）`` so that the sentence stays readable (``请拨打（手机号码已隐去）咨询``,
``股长（联系人姓名已隐去）于4月16日``); a staff selection becomes ``已隐去``.

Masking is idempotent: ``find_personal_data`` checks the masked text again and adds what
masking exposed (a rule reads its neighbours), so ``mask_text(mask_text(t)) ==
mask_text(t)`` and the masked text holds nothing to find.

Staff decisions are exact strings, not offsets, so they survive a re-import or an edit
that moves the text, and they apply to every occurrence as the name rule does:
``unmask`` shows every detected span whose text equals one of the strings; ``mask`` hides
every occurrence of each string. A string in both is masked (fail closed).
``apply_decisions`` gives the final spans (e.g. to highlight them in a preview);
``mask_text`` gives the text to publish.

Every pattern runs on a copy of the text folded as ``text.normalize`` folds it (one
character to one), so offsets are offsets into the given text. Patterns are linear:
bounded repeats, or unbounded runs that start only at a run boundary.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .text import normalize, words

FIELD_PLACEHOLDER = "已隐去"

KIND_LABELS: dict[str, str] = {
    "contact_name": "联系人姓名",
    "phone": "联系电话",
    "mobile": "手机号码",
    "email": "电子邮箱",
    "id_number": "身份证号码",
    "address": "家庭住址",
    "manual": "人工隐去",
}
_BANK_LABEL = "银行账号"


@dataclass(frozen=True, slots=True, order=True)
class PiiSpan:
    """A personal detail at ``text[start:end]`` and what replaces it when masked."""

    start: int
    end: int
    kind: str
    label: str
    placeholder: str = field(default=FIELD_PLACEHOLDER, compare=False)


def running_placeholder(label: str) -> str:
    """The placeholder of a span in running text: （手机号码已隐去）."""
    return f"（{label}{FIELD_PLACEHOLDER}）"


# ---------------------------------------------------------------------------
# Character classes
# ---------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_NAME_TOKEN_RE = re.compile(f"[{_CJK}][{_CJK}·•・]*")
_ALNUM = "0-9A-Za-z"
_DASHES = "\\-—–―‐"
# Where a unit (a line, or a sentence of one) ends; full-width forms are folded already.
_UNIT_ENDS = "\n\r。!?;"

# Speed note: Python's regex engine scans fast to the first character of a pattern that
# starts with a literal, a character set or a branch of literals, and calls the full
# pattern at every position otherwise. The patterns run over the whole text start so.

# ---------------------------------------------------------------------------
# Field labels
# ---------------------------------------------------------------------------

# A working-level contact: the value (a name) and the numbers in the field are masked.
_PERSON_BASES = words(
    "联系人 联络人 联络员 承办人 经办人 办理人 联系人员 承办人员 经办人员 办理人员"
)
_COMBINED = ("电话", "联系电话", "手机", "联系手机", "联系方式", "方式", "电话号码")
_PERSON_LABELS = tuple(
    base + suffix + joiner + combined
    for base in _PERSON_BASES
    for suffix in ("", "姓名")
    for joiner, combined in [("", ""), ("", "电话"), ("", "联系电话")]
    + [(j, c) for j in ("及", "和", "、", "/") for c in _COMBINED]
)
# A number label: its number is masked when the block names a person; a name written
# right after it (联系电话:<name> <number>) is a contact name.
_PHONE_LABELS = words(
    "电话 联系电话 电话号码 联系方式 手机 手机号 手机号码 联系手机 移动电话 座机 固定电话 "
    "办公电话 办公室电话 单位电话 联系号码"
)
# Officials named in office and other people whose names stay; a block naming one of
# them still names a person, so its numbers are masked (they reach that person).
_ROLE_LABELS = words(
    "承办负责人 分管领导 分管负责人 主管领导 主管领导姓名 分管领导姓名 单位负责人 部门负责人 "
    "科室负责人 负责人 签发人 领导署名 审核人 审签人 核稿人 责任编辑 编辑 建议人 提案人 领衔人"
)
# Public service lines, fax and postal codes: their numbers stay.
_PUBLIC_LABELS = words(
    "热线 热线电话 服务热线 咨询热线 投诉热线 举报热线 监督热线 便民热线 值班电话 监督电话 "
    "举报电话 投诉电话 咨询电话 服务电话 传真 传真电话 传真号码 邮编 邮政编码"
)
# Units: no name in the value; numbers behave as under a number label.
_UNIT_LABELS = words(
    "联系单位 联系单位及电话 联系部门 承办单位 主办单位 协办单位 会办单位 分管单位 责任单位 "
    "承办科室 承办股室"
)
_EMAIL_LABELS = words("邮箱 电子邮箱 电子信箱 电子邮件")
_ADDRESS_LABELS = words("家庭住址 家庭地址 住址 现住址 居住地址 户籍地址")
_BANK_LABELS = words("银行卡号 银行账号 银行帐号 个人账号 个人帐号 个人账户 卡号")

_LABEL_KINDS: dict[str, str] = {}
for _kind, _words in (
    ("person", _PERSON_LABELS),
    ("phone", _PHONE_LABELS),
    ("role", _ROLE_LABELS),
    ("public", _PUBLIC_LABELS),
    ("unit", _UNIT_LABELS),
    ("email", _EMAIL_LABELS),
    ("address", _ADDRESS_LABELS),
    ("bank", _BANK_LABELS),
):
    for _word in _words:
        _LABEL_KINDS.setdefault(_word, _kind)


def _trie_pattern(vocabulary: Iterable[str], *, spaced: bool = True) -> str:
    """One alternation for many words, as a trie: each branch starts with a literal (so the
    engine scans fast to a candidate), longer words are tried first, and (``spaced``) up to
    two spaces may stand between characters (联 系 人)."""
    gap = "[ ]{0,2}" if spaced else ""
    trie: dict[str, dict] = {}
    for word in vocabulary:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branches(node: dict[str, dict]) -> str:
        return "|".join(re.escape(ch) + tail(child) for ch, child in node.items() if ch)

    def tail(node: dict[str, dict]) -> str:
        if not any(node):
            return ""
        optional = "?" if "" in node else ""
        return f"(?:{gap}(?:{branches(node)})){optional}"

    return f"(?:{branches(trie)})"


# A label is followed by a colon, spaces and a value (table layout), a number, or the
# placeholder of a masked value.
_LABEL_RE = re.compile(
    _trie_pattern(_LABEL_KINDS)
    + f"(?=[ ]*:|[ ]+[^ {_UNIT_ENDS}]|[ ]*[(+0-9]|[ ]*{FIELD_PLACEHOLDER})"
)
_SQUEEZE_RE = re.compile(r"[ ]+")
_WORD_CHAR_RE = re.compile(f"[{_CJK}A-Za-z]")
# The colon, with a note before it that is not the value: 经办人(签字):
_COLON_RE = re.compile(r"[ ]*(?:\([^()\n]{1,8}\)[ ]*(?=:))?:?[ ]*")
# Kinds whose label may be followed directly by its value, without colon or space.
_GLUED_KINDS = frozenset(("phone", "public", "person", "unit", "bank"))


@dataclass(slots=True)
class _Label:
    kind: str
    start: int
    end: int  # after the colon and spaces: where the value begins


def _find_labels(norm: str, placeholders: list[tuple[int, int]]) -> list[_Label]:
    found: list[_Label] = []
    for m in _LABEL_RE.finditer(norm):
        if placeholders and _inside(m.start(), placeholders):
            continue  # （联系人姓名已隐去）
        kind = _LABEL_KINDS[_SQUEEZE_RE.sub("", m.group())]
        value_start = _COLON_RE.match(norm, m.end()).end()  # type: ignore[union-attr]
        if ":" not in norm[m.end() : value_start]:
            # Without a colon a label stands on its own (a table cell), not at the end of
            # a word in running text (我局联系人将…); a placeholder before it was a value.
            before = norm[m.start() - 1] if m.start() else " "
            if _WORD_CHAR_RE.match(before) and not norm.endswith(FIELD_PLACEHOLDER, 0, m.start()):
                continue
            if kind not in _GLUED_KINDS and m.end() == value_start:
                continue
        found.append(_Label(kind, m.start(), value_start))
    return found


# ---------------------------------------------------------------------------
# Numbers and addresses
# ---------------------------------------------------------------------------

# 1[3-9] + 9 digits, optionally +86; the first character is matched before the boundary
# check so that the engine can scan for it.
_MOBILE_RE = re.compile(
    f"[+81](?<![{_ALNUM}].)(?:(?<=\\+)86[ \\-]?1|(?<=8)6[ \\-]?1|(?<=1))"
    f"[3-9][0-9](?:[ {_DASHES}]?[0-9]{{4}}){{2}}(?![{_ALNUM}])"
)
_LANDLINE_RE = re.compile(
    f"(?<![{_ALNUM}])"
    f"(?:\\(0[0-9]{{2,3}}\\)[ ]?|0[0-9]{{2,3}}(?:[ ]?[{_DASHES}][ ]?|[ ]{{1,2}})?)?"
    f"[0-9]{{7,8}}"
    f"(?:[ ]?(?:转|分机|ext\\.?|[{_DASHES}])[ ]?[0-9]{{1,5}})?"
    f"(?![{_ALNUM}])"
)
_DIGIT_RUN_RE = re.compile(r"[0-9][0-9]{5,}")
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"[A-Za-z0-9][A-Za-z0-9\-]{0,62}(?:\.[A-Za-z0-9\-]{1,63}){1,8}"
)
_ID_RE = re.compile(
    f"(?<![{_ALNUM}])([0-9]{{6}})[ ]?([0-9]{{8}})[ ]?([0-9]{{3}}[0-9Xx])(?![{_ALNUM}])"
)
_BANK_VALUE_RE = re.compile(r"[0-9](?:[0-9]|[ \-](?=[0-9])){11,30}")
_ADDRESS_VALUE_RE = re.compile(r"[^ \n,;:。、()（）]{2,60}")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_valid_id_number(candidate: str) -> bool:
    """GB 11643: a birth date from 1900 to today and a matching check character."""
    if len(candidate) != 18 or not (candidate.isascii() and candidate[:17].isdigit()):
        return False
    try:
        born = date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date.today():
        return False
    total = sum(int(d) * w for d, w in zip(candidate[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == candidate[17].upper()


def _is_bare_date(digits: str) -> bool:
    """20211026, 2020824, 202285: a date written as bare digits (6–8 of them)."""
    if not (digits.isascii() and digits.isdigit()) or not 6 <= len(digits) <= 8:
        return False
    year, rest = int(digits[:4]), digits[4:]
    if not 1949 <= year <= 2099:
        return False
    # The month takes one or two digits and the day what is left (one or two).
    for split in (1, 2):
        month, day = rest[:split], rest[split:]
        if not 1 <= len(day) <= 2:
            continue
        try:
            date(year, int(month), int(day))
        except ValueError:
            continue
        return True
    return False


# Regions that are never personal data however much they look like it.
_PROTECTED_RE = re.compile(
    r"索[ ]{0,2}引[ ]{0,2}号[ ]*:?[ ]*[0-9A-Za-z][0-9A-Za-z/\-—_.]{0,80}"
    r"|统一社会信用代码[ ]*:?[ ]*[0-9A-Z]{18}"
    r"|[〔\[【(][0-9]{4}[〕\]】)][ ]?第?[ ]?[0-9]{1,6}[ ]?号"
    r"|(?:ICP[ ]?备|ICP[ ]?证|公网安备|网站标识码)[ ]*:?[ ]*[0-9]{1,20}号?"
    r"|(?:https?://|www\.)[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%\-]{1,300}"
    r"|(?<![A-Za-z])(?:GB|GB/T|GB/Z|DB[0-9]{2}|HJ|JGJ|CJJ)[ ]?[0-9]{1,6}(?:\.[0-9]{1,3})?"
    r"[ ]?[\-—–][ ]?[0-9]{4}"
)


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

_TITLES = words(
    "同志 先生 女士 老师 领导 主任 副主任 科长 副科长 股长 局长 副局长 处长 部长 站长 所长 "
    "院长 校长 队长 组长 经理 书记 干事 科员"
)
# Values that name nobody: placeholders for a missing value, and titles without a name.
_NOT_NAMES = frozenset(
    words("无 暂无 略 空 见上 同上 待定 不详 未定 本人 姓名 电话 手机") + _TITLES
)
# Words that end a name glued to the next field (张三电话:…), and the placeholder.
# A placeholder as folded: 已隐去, （手机号码已隐去）.
_PLACEHOLDER_RE = re.compile(f"\\([^()\\n]{{0,10}}{FIELD_PLACEHOLDER}\\)|{FIELD_PLACEHOLDER}")
_NAME_STOP_RE = re.compile(
    "电话|手机|联系|方式|邮箱|传真|地址|职务|单位|办公|号码|座机|邮编|微信|" + FIELD_PLACEHOLDER
)
_AGENCY_SUFFIXES = words(
    "局 办 室 科 股 委 院 所 站 队 处 部 厅 组 府 馆 署 司 厂 店 会 中心 公司 单位 街道 "
    "社区 机关 镇 乡 县 市 区 省 村 校 学校 医院 银行"
)
_PROPOSER_SUFFIXES = ("委员", "代表")


def _clean_name(token: str) -> str:
    stop = _NAME_STOP_RE.search(token)
    return token[: stop.start()] if stop else token


def _is_agency(token: str) -> bool:
    return len(token) >= 3 and token.endswith(_AGENCY_SUFFIXES)


def _is_name(token: str, *, min_len: int = 1, max_len: int = 8) -> bool:
    core = token.replace("·", "").replace("•", "").replace("・", "")
    if not min_len <= len(core) <= max_len or token in _NOT_NAMES or _is_agency(token):
        return False
    return not token.endswith(_PROPOSER_SUFFIXES)


def _bare_name(name: str) -> str:
    """The name without a title after it (张三同志, 李科长 -> 张三, 李), to find it elsewhere."""
    for title in _TITLES:
        if name.endswith(title) and len(name) - len(title) >= 2:
            return name[: -len(title)]
    return name


def _names_in_field(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """Name tokens in a contact field's value, before its first number.

    The first name may follow a unit (``办公室 王五``) and may be long (the whole value is
    masked: ``城建股股长王五``); further names form a list of short names (``张三、李四``), so
    that a sentence after the name (``张三,请于工作日联系``) is not taken for one.
    """
    names: list[tuple[int, int]] = []
    listing = False  # a name (or a masked value) came first: only a list may follow
    pos = start
    while pos < end:
        ch = norm[pos]
        if ch in "(已" and (masked := _PLACEHOLDER_RE.match(norm, pos, end)):
            pos = masked.end()  # a value masked before
            listing = True
            continue
        m = _NAME_TOKEN_RE.match(norm, pos, end)
        if m is None:
            if ch not in " ,、/()":
                break
            pos += 1
            continue
        if _is_agency(m.group()) and not listing:
            pos = m.end()  # 县交通局办公室 王五
            continue
        name = _clean_name(m.group())
        if name and _is_name(name, min_len=2 if listing else 1, max_len=4 if listing else 8):
            names.append((m.start(), m.start() + len(name)))
            listing = True
        elif listing:
            break
        if len(name) < len(m.group()):
            break  # the token ran into the next field
        pos = m.end()
    return names


# ---------------------------------------------------------------------------
# Units and contact blocks
# ---------------------------------------------------------------------------

_UNIT_RE = re.compile(f"[^{_UNIT_ENDS}]+")
_UNIT_END_RE = re.compile(f"[{_UNIT_ENDS}]")
_DATE_UNIT_RE = re.compile(
    r"[ (]*(?:[0-9]{4}[ ]?年[ ]?[0-9]{1,2}[ ]?月[ ]?[0-9]{1,2}[ ]?日|"
    r"[0-9]{4}[\-./][0-9]{1,2}[\-./][0-9]{1,2})[ )]*"
)
_SEPARATORS_RE = re.compile(r"[ ,、/():|]+")
_ROW_TOKEN_RE = re.compile(r"[^ ,、/():|]+")
_ROW_NAME_RE = re.compile(f"[ (]*([{_CJK}][{_CJK}·•・]{{1,5}})[ ]+")


@dataclass(slots=True)
class _Unit:
    start: int
    end: int
    labels: list[_Label]
    numbers: list[tuple[int, int]]  # landline candidates
    mobiles: list[tuple[int, int]]
    name: tuple[int, int] | None = None  # a name without a label (table row)


def _is_neutral(norm: str, start: int, end: int) -> bool:
    """A blank unit or a date line: neither joins nor ends a contact block."""
    if norm[start:end].isspace() or _DATE_UNIT_RE.fullmatch(norm, start, end):
        return True
    return _is_bare_date(norm[start:end].strip(" ()"))


def _neutral_gap(norm: str, start: int, end: int) -> bool:
    return all(_is_neutral(norm, m.start(), m.end()) for m in _UNIT_RE.finditer(norm, start, end))


def _unlabelled_row(norm: str, unit: _Unit) -> tuple[int, int] | None | Literal[False]:
    """A table row that lost its labels: ``<name> <number>``, a number alone, or with
    the unit in a column of its own (``<unit> <name> <number>``).

    Returns the name's span, None for a row without a name, False for anything else.
    """
    numbers = sorted(unit.numbers + unit.mobiles)
    if not numbers:
        return False
    pieces: list[tuple[int, int]] = []
    pos = unit.start
    for s, e in numbers:
        if s < pos:
            continue
        pieces.append((pos, s))
        pos = e
    pieces.append((pos, unit.end))
    name: tuple[int, int] | None = None
    for s, e in pieces:
        for m in _ROW_TOKEN_RE.finditer(norm, s, e):
            token = m.group()
            if not _NAME_TOKEN_RE.fullmatch(token):
                return False
            if _is_agency(token):
                continue
            if name is not None or _NAME_STOP_RE.search(token):
                return False
            if not _is_name(token, min_len=2, max_len=4):
                return False
            name = (m.start(), m.end())
    return name


def _name_before_label(norm: str, unit: _Unit) -> tuple[int, int] | None:
    """``<name>  联系电话 <number>``: a table row whose name column lost its label."""
    first = unit.labels[0]
    if first.kind not in ("phone", "person"):
        return None
    m = _ROW_NAME_RE.fullmatch(norm, unit.start, first.start)
    if m is None:
        return None
    name = m.group(1)
    if _NAME_STOP_RE.search(name) or not _is_name(name, min_len=2, max_len=4):
        return None
    return m.start(1), m.end(1)


class _Scan:
    """What one pass over the (normalised) text finds before looking at contact blocks."""

    def __init__(self, norm: str) -> None:
        self.norm = norm
        # Reversed, so that the start of a unit is a forward search too.
        self.reversed = norm[::-1]
        self.units: list[tuple[int, int]] = []
        self.unit_starts: list[int] = []
        # Placeholders of an earlier masking are opaque: nothing is read inside them.
        self.placeholders = (
            [(m.start(), m.end()) for m in _PLACEHOLDER_RE.finditer(norm)]
            if FIELD_PLACEHOLDER in norm
            else []
        )
        self.labels = _find_labels(norm, self.placeholders)
        self.label_starts = [label.start for label in self.labels]
        # 第13912345678号 is a document or proposal number.
        self.mobiles = [
            (m.start(), m.end())
            for m in _MOBILE_RE.finditer(norm)
            if not (norm[m.start() - 1 : m.start()] == "第" or norm.startswith("号", m.end()))
        ]
        self.mobile_starts = [s for s, _ in self.mobiles]
        self.digit_runs = [(m.start(), m.end()) for m in _DIGIT_RUN_RE.finditer(norm)]

    def unit_at(self, pos: int) -> tuple[int, int]:
        """The unit (a line, or a sentence of one) around a position.

        Units found are kept, so that many positions in one long unit cost one search.
        """
        i = bisect.bisect_right(self.unit_starts, pos) - 1
        if i >= 0 and pos < self.units[i][1]:
            return self.units[i]
        size = len(self.norm)
        after = _UNIT_END_RE.search(self.norm, pos)
        before = _UNIT_END_RE.search(self.reversed, size - pos)
        unit = (size - before.start() if before else 0), (after.start() if after else size)
        self.units.insert(i + 1, unit)
        self.unit_starts.insert(i + 1, unit[0])
        return unit

    def unit(self, start: int, end: int) -> _Unit:
        lo = bisect.bisect_left(self.label_starts, start)
        hi = bisect.bisect_left(self.label_starts, end)
        mlo = bisect.bisect_left(self.mobile_starts, start)
        mhi = bisect.bisect_left(self.mobile_starts, end)
        numbers = [(m.start(), m.end()) for m in _LANDLINE_RE.finditer(self.norm, start, end)]
        return _Unit(start, end, self.labels[lo:hi], numbers, self.mobiles[mlo:mhi])

    def blocks(self) -> Iterator[list[_Unit]]:
        """Runs of contact units separated only by blank and date units.

        A contact unit carries a field label, or is a table row that lost its label
        (``<name> <number>``, a number alone) next to one that has one. Only units with a
        label, a mobile number or a run of 7+ digits can be one.
        """
        positions = [label.start for label in self.labels]
        positions += self.mobile_starts
        positions += [s for s, e in self.digit_runs if e - s >= 7]
        candidates = sorted({self.unit_at(pos) for pos in positions})
        block: list[_Unit] = []
        previous_end = 0
        for start, end in candidates:
            if block and not _neutral_gap(self.norm, previous_end, start):
                yield block
                block = []
            unit = self.unit(start, end)
            if unit.labels:
                unit.name = _name_before_label(self.norm, unit)
                block.append(unit)
            elif _is_neutral(self.norm, start, end):
                continue
            else:
                row = _unlabelled_row(self.norm, unit)
                if row is False:
                    if block:
                        yield block
                        block = []
                else:
                    unit.name = row
                    block.append(unit)
            previous_end = end
        if block:
            yield block


def _field_end(unit: _Unit, index: int) -> int:
    labels = unit.labels
    return labels[index + 1].start if index + 1 < len(labels) else unit.end


def _governing_label(unit: _Unit, pos: int) -> _Label | None:
    """The last label before a position in its unit."""
    i = bisect.bisect_left(unit.labels, pos, key=lambda label: label.start)
    return unit.labels[i - 1] if i else None


def _any_between(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether a sorted list of ranges has one starting in [start, end)."""
    i = bisect.bisect_left(ranges, (start, -1))
    return i < len(ranges) and ranges[i][0] < end


def _block_spans(norm: str, block: list[_Unit]) -> tuple[list[PiiSpan], list[str]]:
    """The names and landlines to mask in one contact block, and the names found."""
    if not any(unit.labels for unit in block):
        return [], []
    spans: list[PiiSpan] = []
    names: list[str] = []
    names_person = False

    def add_name(s: int, e: int) -> None:
        spans.append(PiiSpan(s, e, "contact_name", KIND_LABELS["contact_name"]))
        names.append(_bare_name(norm[s:e]))

    for unit in block:
        if unit.name:
            add_name(*unit.name)
            names_person = True
        for i, label in enumerate(unit.labels):
            end = _field_end(unit, i)
            if label.kind == "person":
                found = _names_in_field(norm, label.end, end)
                for s, e in found:
                    add_name(s, e)
                # 联系人及电话:<number> reaches a person even without a name.
                has_number = _any_between(unit.numbers, label.end, end) or _any_between(
                    unit.mobiles, label.end, end
                )
                names_person = names_person or bool(found) or has_number
            elif label.kind == "role":
                if _names_in_field(norm, label.end, end):
                    names_person = True
            elif label.kind == "phone":
                m = _NAME_TOKEN_RE.match(norm, label.end, end)
                if m:
                    name = _clean_name(m.group())
                    rest = _SEPARATORS_RE.match(norm, m.end(), end)
                    after = rest.end() if rest else m.end()
                    if (
                        name == m.group()
                        and _is_name(name, max_len=4)
                        and after < end
                        and (norm[after].isdigit() or norm[after] in "(+")
                    ):
                        add_name(m.start(), m.end())
                        names_person = True

    for unit in block:
        for s, e in unit.numbers:
            governing = _governing_label(unit, s)
            kind = governing.kind if governing else None
            if kind == "public":
                continue
            digits = "".join(ch for ch in norm[s:e] if ch.isdigit())
            if _is_bare_date(digits) and kind not in ("phone", "person"):
                continue
            if kind == "person" or names_person:
                spans.append(PiiSpan(s, e, "phone", KIND_LABELS["phone"]))
    return spans, names


def _value_span(norm: str, label: _Label, end: int) -> list[PiiSpan]:
    if label.kind == "bank":
        m = _BANK_VALUE_RE.match(norm, label.end, end)
        return [PiiSpan(m.start(), m.end(), "address", _BANK_LABEL)] if m else []
    m = _ADDRESS_VALUE_RE.match(norm, label.end, end)
    if m is None:
        return []
    value = m.group().split(FIELD_PLACEHOLDER, 1)[0]
    if len(value) < 2 or value in _NOT_NAMES:
        return []
    return [PiiSpan(m.start(), m.start() + len(value), "address", KIND_LABELS["address"])]


# ---------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------

# Rounds of re-checking the masked text (see find_personal_data); one is the usual need.
_MAX_ROUNDS = 4


# normalize() maps characters one to one; folding only the characters it changes, found
# once here, gives the same text without a table lookup for every character of a letter.
_BMP = "".join(map(chr, range(0x10000)))
_FOLDED = "".join(itertools.compress(_BMP, map(operator.ne, _BMP, normalize(_BMP))))
_FOLD_RE = re.compile(f"[{re.escape(_FOLDED)}]+")
del _BMP


def _fold(text: str) -> str:
    """``normalize(text)``, faster on text that is mostly CJK."""
    return _FOLD_RE.sub(lambda m: normalize(m.group()), text)


def find_personal_data(text: str) -> list[PiiSpan]:
    """Personal contact details in a letter: sorted, non-overlapping spans into ``text``.

    Masking can change the context a rule reads (a label that stood after a number now
    stands after a placeholder), so the masked text is checked again and anything found
    there is added, until the masked text holds nothing to find: masking the result of
    ``mask_text`` changes nothing.
    """
    norm = _fold(text)
    spans = _detect(norm)
    for _ in range(_MAX_ROUNDS):
        if not spans:
            break
        masked, segments = _render(norm, spans)
        extra = _detect(masked)
        if not extra:
            break
        starts = [segment[0] for segment in segments]
        grown = _merge([*spans, *(_map_back(span, segments, starts) for span in extra)])
        if grown == spans:
            break
        spans = grown
    return spans


def _detect(norm: str) -> list[PiiSpan]:
    scan = _Scan(norm)
    spans: list[PiiSpan] = []
    names: list[str] = []
    field_ranges: list[tuple[int, int]] = []

    for block in scan.blocks():
        block_spans, block_names = _block_spans(norm, block)
        spans.extend(block_spans)
        names.extend(block_names)
        if any(unit.labels for unit in block):
            field_ranges.extend((unit.start, unit.end) for unit in block)

    # Addresses and bank accounts are personal wherever they are labelled.
    for i, label in enumerate(scan.labels):
        if label.kind in ("address", "bank"):
            unit_end = scan.unit_at(label.start)[1]
            next_start = scan.labels[i + 1].start if i + 1 < len(scan.labels) else unit_end
            spans.extend(_value_span(norm, label, min(unit_end, next_start)))

    spans.extend(PiiSpan(s, e, "mobile", KIND_LABELS["mobile"]) for s, e in scan.mobiles)
    if "@" in norm:
        for m in _EMAIL_RE.finditer(norm):
            length = _email_length(m.group())
            if length:
                spans.append(PiiSpan(m.start(), m.start() + length, "email", KIND_LABELS["email"]))
    for start, _ in scan.digit_runs:
        m = _ID_RE.match(norm, start)
        if m and is_valid_id_number("".join(m.groups())):
            spans.append(PiiSpan(m.start(), m.end(), "id_number", KIND_LABELS["id_number"]))

    # A contact's name is masked wherever it appears (a handler named again in the body).
    found_at = {(s.start, s.end) for s in spans}
    long_names = [n for n in dict.fromkeys(names) if len(n) >= 2]
    if long_names:
        # One pass for all names (a trie, longest first), however many a letter has.
        for m in re.finditer(_trie_pattern(long_names, spaced=False), norm):
            if (m.start(), m.end()) not in found_at:
                spans.append(
                    PiiSpan(m.start(), m.end(), "contact_name", KIND_LABELS["contact_name"])
                )

    if spans:
        protected = [
            (m.start(), m.end())
            for start, end in sorted({scan.unit_at(s.start) for s in spans})
            for m in _PROTECTED_RE.finditer(norm, start, end)
        ]
        if scan.placeholders:
            protected = _union([*protected, *scan.placeholders])
        if protected:
            spans = [kept for s in spans if (kept := _outside(s, protected))]
    field_ranges.sort()
    return [_with_placeholder(span, field_ranges) for span in _merge(spans)]


def _email_length(match: str) -> int:
    """Length of the address within a match, trimmed to a top-level domain of letters."""
    local, _, domain = match.partition("@")
    labels = domain.split(".")
    while len(labels) > 1 and not (labels[-1].isalpha() and len(labels[-1]) >= 2):
        labels.pop()
    if len(labels) < 2:
        return 0
    return len(local) + 1 + len(".".join(labels))


def _inside(pos: int, ranges: list[tuple[int, int]]) -> bool:
    """Whether a position lies in one of sorted, disjoint ranges."""
    i = bisect.bisect_right(ranges, (pos, 1 << 62))
    return i > 0 and pos < ranges[i - 1][1]


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _outside(span: PiiSpan, protected: list[tuple[int, int]]) -> PiiSpan | None:
    """The span if it touches no protected region (sorted, disjoint); an address is cut
    short before one."""
    # Regions starting before the span's end; walk back over those reaching into it.
    last = bisect.bisect_left(protected, (span.end, -1))
    first = last
    while first > 0 and protected[first - 1][1] > span.start:
        first -= 1
    if first == last:
        return span
    start = protected[first][0]
    if span.kind == "address" and start - span.start >= 2:
        return PiiSpan(span.start, start, span.kind, span.label)
    return None


def _with_placeholder(span: PiiSpan, field_ranges: list[tuple[int, int]]) -> PiiSpan:
    """``field_ranges``: sorted, disjoint ranges of contact units."""
    if span.kind == "manual" or _inside(span.start, field_ranges):
        placeholder = FIELD_PLACEHOLDER
    else:
        placeholder = running_placeholder(span.label)
    return PiiSpan(span.start, span.end, span.kind, span.label, placeholder)


def _merge(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Sort and merge overlapping spans; a merged span keeps the longer one's kind."""
    merged: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                main = last if last.end - last.start >= span.end - span.start else span
                merged[-1] = PiiSpan(last.start, span.end, main.kind, main.label, main.placeholder)
            continue
        merged.append(span)
    return merged


_Segment = tuple[int, int, int, int]


def _render(norm: str, spans: list[PiiSpan]) -> tuple[str, list[_Segment]]:
    """The masked (normalised) text and its segments: (masked start, original start,
    original end, placeholder length or -1 for kept text)."""
    out: list[str] = []
    segments: list[_Segment] = []
    pos = length = 0
    for span in spans:
        out.append(norm[pos : span.start])
        segments.append((length, pos, span.start, -1))
        length += span.start - pos
        placeholder = normalize(span.placeholder)
        out.append(placeholder)
        segments.append((length, span.start, span.end, len(placeholder)))
        length += len(placeholder)
        pos = span.end
    out.append(norm[pos:])
    segments.append((length, pos, len(norm), -1))
    return "".join(out), segments


def _map_back(span: PiiSpan, segments: list[_Segment], starts: list[int]) -> PiiSpan:
    """A span of the masked text as a span of the original (placeholders map whole)."""

    def original(pos: int, *, end: bool) -> int:
        masked_start, orig_start, orig_end, placeholder = segments[
            bisect.bisect_right(starts, pos - 1 if end else pos) - 1
        ]
        if placeholder >= 0:
            return orig_end if end else orig_start
        return orig_start + pos - masked_start

    return PiiSpan(
        original(span.start, end=False),
        original(span.end, end=True),
        span.kind,
        span.label,
        span.placeholder,
    )


# ---------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------


def apply_decisions(
    text: str,
    spans: Iterable[PiiSpan],
    *,
    unmask: Collection[str] = (),
    mask: Collection[str] = (),
) -> list[PiiSpan]:
    """The spans to hide after staff decisions, sorted and non-overlapping.

    ``unmask``: a detected span whose exact text is one of these strings is shown.
    ``mask``: every occurrence of each of these strings is hidden (placeholder 已隐去),
    even where it overlaps a detected span or is also listed in ``unmask``.
    """
    shown = frozenset(unmask) - frozenset(mask)
    kept = [s for s in spans if text[s.start : s.end] not in shown]
    manual_label = KIND_LABELS["manual"]
    for selection in dict.fromkeys(m for m in mask if m):
        pos = text.find(selection)
        while pos != -1:
            kept.append(PiiSpan(pos, pos + len(selection), "manual", manual_label))
            pos = text.find(selection, pos + len(selection))
    return _merge(kept)


def mask_text(
    text: str,
    spans: Iterable[PiiSpan] | None = None,
    *,
    unmask: Collection[str] = (),
    mask: Collection[str] = (),
) -> str:
    """``text`` with every personal detail replaced by its placeholder.

    ``spans`` defaults to ``find_personal_data(text)``; ``unmask`` and ``mask`` are staff
    decisions as in ``apply_decisions``.
    """
    if spans is None:
        spans = find_personal_data(text)
    final = apply_decisions(text, spans, unmask=unmask, mask=mask)
    if not final:
        return text
    out: list[str] = []
    pos = 0
    for span in final:
        out.append(text[pos : span.start])
        out.append(span.placeholder)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
