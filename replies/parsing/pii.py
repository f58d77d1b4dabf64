"""Personal contact details in reply letters: find them, and mask them before publishing.

A detail is personal when it identifies or reaches a natural person as a point of contact
(the labelling rules are in the sample set's PII.md). What is found:

==============  ==============  =========================================================
kind            label           what
==============  ==============  =========================================================
contact_name    联系人姓名      the value of a contact/handler field (联系人, 联 系 人, 承办人,
                                经办人, 办理人, 联络人, combined labels such as 联系人及联系电话),
                                a name written right after 联系电话:/联系方式:, an unlabelled
                                name on a table row of a contact block; and then every other
                                occurrence of that name in the letter (2+ characters)
phone           联系电话        a landline (7–8 digits, optional area code and extension) in
                                a contact block that names a person, or in a contact field;
                                never under a 热线/值班/监督/举报/投诉/咨询/传真/邮编 label,
                                never a bare-digit date, never in a block naming no person
                                (a unit's own number)
mobile          手机号码        1[3-9] + 9 digits (spaces/dashes allowed) anywhere, not part
                                of a longer run of digits or letters
email           电子邮箱        an e-mail address anywhere
id_number       身份证号码      18 characters, birth date 1900..today, GB 11643 check digit
address         家庭住址 /      a value labelled as a home address (家庭住址, 住址, …) or a
                银行账号        personal bank account (银行卡号, 银行账号, …)
manual          人工隐去        a selection masked by staff (see ``apply_decisions``)
==============  ==============  =========================================================

Never masked: 索引号, unified social credit codes, 文号, URLs, registration numbers of the
page chrome (ICP备, 公网安备, 网站标识码), standard numbers (GB 14886—2006); these regions are
protected and a candidate touching one is dropped. Proposal numbers, bare-digit dates,
amounts and 12345-type hotlines match no pattern to begin with.

Placeholders (``PiiSpan.placeholder``): a span inside a contact field or a contact-block row
becomes ``已隐去`` (``联系电话：已隐去``, ``联系人:已隐去``); a span in running text becomes
``（<label>已隐去）`` so that a sentence stays readable (``请拨打（手机号码已隐去）咨询``,
``股长（联系人姓名已隐去）于4月16日``). Staff selections become ``已隐去``. No placeholder is
detected again, so masking is idempotent.

Staff decisions are exact strings, so they survive a re-import or an edit of the letter
that moves offsets, and they apply to every occurrence (as the name rule does):
``unmask`` shows every detected span whose text equals one of the strings; ``mask`` hides
every occurrence of each string. A string in both is masked (fail closed). Call
``apply_decisions`` for the final spans (e.g. to highlight them in a preview) or
``mask_text`` for the published text.

Every pattern runs on ``normalize(text)``, a same-length copy with full-width forms folded,
so offsets are offsets into the given text. Patterns are linear: bounded repeats, or
unbounded runs that can only start at a run boundary.
"""

from __future__ import annotations

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
# Character classes and small helpers
# ---------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_NAME_TOKEN_RE = re.compile(f"[{_CJK}][{_CJK}·•・]{{0,11}}")
_ALNUM = "0-9A-Za-z"
_DASHES = "\\-—–―‐"


def _spaced(word: str) -> str:
    """A label as written, with up to two spaces between its characters (联 系 人)."""
    return "[ ]{0,2}".join(re.escape(ch) for ch in word)


def _alternation(*words: str) -> str:
    # Longest first, so that at one position 联系人及联系电话 wins over 联系人.
    return "|".join(_spaced(w) for w in sorted(set(words), key=len, reverse=True))


# ---------------------------------------------------------------------------
# Field labels
# ---------------------------------------------------------------------------

# A working-level contact: the value (a name) and the numbers in the field are masked.
_PERSON_BASES = ("联系人", "联络人", "联络员", "承办人", "经办人", "办理人")
_PERSON_SUFFIXES = ("", "姓名")
_COMBINED = ("电话", "联系电话", "手机", "联系手机", "联系方式", "方式", "电话号码")
_PERSON_LABELS = tuple(
    base + suffix + joiner + combined
    for base in _PERSON_BASES
    for suffix in _PERSON_SUFFIXES
    for joiner, combined in [("", "")]
    + [(j, c) for j in ("及", "和", "、", "/") for c in _COMBINED]
    + [("", c) for c in ("电话", "联系电话")]
)
# A number label: its number is masked when the block names a person; a name written
# right after it (联系电话:<name> <number>) is a contact name.
_PHONE_LABELS = (
    "电话",
    "联系电话",
    "电话号码",
    "联系方式",
    "手机",
    "手机号",
    "手机号码",
    "联系手机",
    "移动电话",
    "座机",
    "固定电话",
    "办公电话",
    "办公室电话",
    "单位电话",
    "联系号码",
    "Tel",
    "TEL",
)
# Officials named in office and other people whose names stay; a block naming one of
# them still names a person, so its numbers are masked (they reach that person).
_ROLE_LABELS = (
    "承办负责人",
    "分管领导",
    "分管负责人",
    "主管领导",
    "主管领导姓名",
    "分管领导姓名",
    "单位负责人",
    "部门负责人",
    "科室负责人",
    "负责人",
    "签发人",
    "领导署名",
    "审核人",
    "审签人",
    "核稿人",
    "责任编辑",
    "编辑",
    "建议人",
    "提案人",
    "领衔人",
)
# Public service lines, fax and postal codes: their numbers stay.
_PUBLIC_LABELS = (
    "热线",
    "热线电话",
    "服务热线",
    "咨询热线",
    "投诉热线",
    "举报热线",
    "监督热线",
    "便民热线",
    "值班电话",
    "监督电话",
    "举报电话",
    "投诉电话",
    "咨询电话",
    "服务电话",
    "传真",
    "传真电话",
    "传真号码",
    "邮编",
    "邮政编码",
)
# Units: no name in the value; numbers behave as under a number label.
_UNIT_LABELS = (
    "联系单位",
    "联系单位及电话",
    "联系部门",
    "承办单位",
    "主办单位",
    "协办单位",
    "会办单位",
    "分管单位",
    "责任单位",
    "承办科室",
    "承办股室",
)
_EMAIL_LABELS = ("邮箱", "电子邮箱", "电子信箱", "电子邮件", "E-mail", "e-mail", "Email", "email")
_ADDRESS_LABELS = ("家庭住址", "家庭地址", "住址", "现住址", "居住地址", "户籍地址")
_BANK_LABELS = ("银行卡号", "银行账号", "银行帐号", "个人账号", "个人帐号", "个人账户", "卡号")

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

# A label is followed by a colon, or by spaces (table layout), or directly by a number.
_LABEL_RE = re.compile(
    f"(?:{_alternation(*_LABEL_KINDS)})(?=[ ]*[:]|[ ]+[^ \\n]|[ ]*[(+0-9])",
)
_SQUEEZE_RE = re.compile(r"[ ]+")
_COLON_RE = re.compile(r"[ ]*:?[ ]*")


@dataclass(slots=True)
class _Label:
    kind: str
    start: int
    end: int  # after the colon and spaces: where the value begins


def _find_labels(norm: str, start: int, end: int) -> list[_Label]:
    found: list[_Label] = []
    for m in _LABEL_RE.finditer(norm, start, end):
        word = _SQUEEZE_RE.sub("", m.group())
        kind = _LABEL_KINDS.get(word)
        if kind is None:
            continue
        after = _COLON_RE.match(norm, m.end(), end)
        value_start = after.end() if after else m.end()
        has_colon = ":" in norm[m.end() : value_start]
        if (
            word.isascii()
            and m.start() > start
            and norm[m.start() - 1].isascii()
            and norm[m.start() - 1].isalpha()
        ):
            continue  # Tel in Hotel
        if not has_colon:
            # Without a colon the label must stand on its own (a table cell), not be the
            # tail of a word in running text (我局联系人将…).
            before = norm[m.start() - 1] if m.start() > start else " "
            if re.match(f"[{_CJK}A-Za-z]", before):
                continue
            if kind not in ("phone", "public", "person", "unit", "bank") and m.end() == value_start:
                continue
        found.append(_Label(kind, m.start(), value_start))
    return found


# ---------------------------------------------------------------------------
# Numbers and addresses
# ---------------------------------------------------------------------------

_MOBILE_RE = re.compile(
    f"(?<![{_ALNUM}])(?:\\+?86[ \\-]?)?1[3-9][0-9](?:[ {_DASHES}]?[0-9]{{4}}){{2}}(?![{_ALNUM}])"
)
_LANDLINE_RE = re.compile(
    f"(?<![{_ALNUM}])"
    f"(?:\\(0[0-9]{{2,3}}\\)[ ]?|0[0-9]{{2,3}}(?:[ ]?[{_DASHES}][ ]?|[ ]{{1,2}})?)?"
    f"[0-9]{{7,8}}"
    f"(?:[ ]?(?:转|分机|ext\\.?|[{_DASHES}])[ ]?[0-9]{{1,5}})?"
    f"(?![{_ALNUM}])"
)
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"[A-Za-z0-9][A-Za-z0-9\-]{0,62}(?:\.[A-Za-z0-9\-]{1,63}){1,8}"
)
_ID_RE = re.compile(
    f"(?<![{_ALNUM}])([0-9]{{6}})[ ]?([0-9]{{8}})[ ]?([0-9]{{3}}[0-9Xx])(?![{_ALNUM}])"
)
_BANK_VALUE_RE = re.compile(r"[0-9](?:[0-9]|[ \-](?=[0-9])){11,30}")
_ADDRESS_VALUE_RE = re.compile(r"[^ \n,;。、()]{2,60}")
# A run of digits that a number after a mobile/amount marker is not: 13500000000元.
_AMOUNT_AFTER = frozenset("元万亿千百个人户台辆次件项吨米亩号%")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_valid_id_number(candidate: str) -> bool:
    """GB 11643: a birth date from 1900 to today and a matching check character."""
    if len(candidate) != 18 or not candidate[:17].isdigit():
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
    if not digits.isdigit() or not 6 <= len(digits) <= 8:
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
    r"|(?:ICP[ ]?备|ICP[ ]?证|公网安备|网站标识码)[ ]*[:]?[ ]*[0-9]{1,20}号?"
    r"|(?:https?://|www\.)[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%\-]{1,300}"
    r"|(?<![A-Za-z])(?:GB|GB/T|GB/Z|DB[0-9]{2}|HJ|JGJ|CJJ)[ ]?[0-9]{1,6}(?:\.[0-9]{1,3})?"
    r"[ ]?[\-—–][ ]?[0-9]{4}"
)


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

_NOT_NAMES = frozenset(
    words("无 暂无 略 空 见上 同上 待定 不详 未定 本人 同志 已隐去 姓名 电话 联系电话 手机")
)
# Words that end a name glued to the next field (张三电话:…).
_NAME_STOP_RE = re.compile(
    "电话|手机|联系|方式|邮箱|传真|地址|职务|单位|办公|号码|座机|邮编|微信|已隐去"
)
_AGENCY_SUFFIXES = words(
    "局 办 室 科 股 委 院 所 站 队 处 部 厅 组 府 馆 署 司 厂 店 会 中心 公司 单位 街道 "
    "社区 机关 镇 乡 县 市 区 省 村 校 学校 医院 银行"
)
_PROPOSER_SUFFIXES = ("委员", "代表")


def _clean_name(token: str) -> str:
    stop = _NAME_STOP_RE.search(token)
    return token[: stop.start()] if stop else token


def _is_name(token: str, *, min_len: int = 1, max_len: int = 8) -> bool:
    core = token.replace("·", "").replace("•", "").replace("・", "")
    if not min_len <= len(core) <= max_len or token in _NOT_NAMES:
        return False
    if len(token) >= 3 and token.endswith(_AGENCY_SUFFIXES):
        return False
    return not token.endswith(_PROPOSER_SUFFIXES)


def _names_in_field(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """Name tokens in a contact field's value: those before its first number."""
    names: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        ch = norm[pos]
        if ch.isdigit() or ch in "+@" or ch == "\n":
            break
        m = _NAME_TOKEN_RE.match(norm, pos, end)
        if m is None:
            if ch not in " ,、/()":
                break
            pos += 1
            continue
        name = _clean_name(m.group())
        if name and _is_name(name):
            names.append((m.start(), m.start() + len(name)))
        if len(name) < len(m.group()):
            break  # the token ran into the next field
        pos = m.end()
    return names


# ---------------------------------------------------------------------------
# Units (lines split at sentence ends) and contact blocks
# ---------------------------------------------------------------------------

_UNIT_RE = re.compile(r"[^\n\r。!?;]+")
_BLANK_RE = re.compile(r"[ \t\r\n]*")
_DATE_UNIT_RE = re.compile(
    r"[ (]*(?:[0-9]{4}[ ]?年[ ]?[0-9]{1,2}[ ]?月[ ]?[0-9]{1,2}[ ]?日|"
    r"[0-9]{4}[\-./][0-9]{1,2}[\-./][0-9]{1,2}|[0-9]{6,8})[ )]*"
)
_SEPARATORS_RE = re.compile(r"[ ,、/():]+")
_ROW_NAME_RE = re.compile(f"[ (]*([{_CJK}][{_CJK}·•・]{{1,5}})[ ]+")


@dataclass(slots=True)
class _Unit:
    start: int
    end: int
    labels: list[_Label]
    numbers: list[tuple[int, int]]  # landline candidates
    unlabelled_name: tuple[int, int] | None = None


def _landlines(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _LANDLINE_RE.finditer(norm, start, end)]


def _mobiles(norm: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for m in _MOBILE_RE.finditer(norm, start, end):
        if m.end() < len(norm) and norm[m.end()] in _AMOUNT_AFTER:
            continue
        if m.start() > 0 and norm[m.start() - 1] == "第":
            continue
        yield m.start(), m.end()


def _unlabelled_row(norm: str, unit: _Unit) -> tuple[int, int] | None | Literal[False]:
    """A table row that lost its label: ``<name> <number>`` or a number alone.

    Returns the name's span, None for a row of numbers only, False for anything else.
    """
    numbers = unit.numbers + list(_mobiles(norm, unit.start, unit.end))
    if not numbers:
        return False
    numbers.sort()
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
        for m in re.finditer(r"[^ ,、/():]+", norm[s:e]):
            token = m.group()
            if name is not None:
                return False
            if not (_NAME_TOKEN_RE.fullmatch(token) and _is_name(token, min_len=2, max_len=4)):
                return False
            if _NAME_STOP_RE.search(token):
                return False
            name = (s + m.start(), s + m.end())
    return name


def _units(norm: str) -> Iterator[tuple[int, int]]:
    for m in _UNIT_RE.finditer(norm):
        yield m.start(), m.end()


def _is_date_unit(norm: str, start: int, end: int) -> bool:
    if _DATE_UNIT_RE.fullmatch(norm, start, end):
        return True
    digits = norm[start:end].strip(" ()")
    return _is_bare_date(digits)


def _contact_blocks(norm: str) -> Iterator[list[_Unit]]:
    """Runs of contact units separated only by blank lines and date lines.

    A contact unit carries a field label, or is a table row that lost its label
    (``<name> <number>``, a number alone) next to one that has one.
    """
    block: list[_Unit] = []
    for start, end in _units(norm):
        if _BLANK_RE.fullmatch(norm, start, end) or _is_date_unit(norm, start, end):
            continue
        unit = _Unit(start, end, _find_labels(norm, start, end), _landlines(norm, start, end))
        if unit.labels:
            unit.unlabelled_name = _name_before_label(norm, unit)
            block.append(unit)
            continue
        row = _unlabelled_row(norm, unit)
        if row is not False:
            unit.unlabelled_name = row
            block.append(unit)
            continue
        if block:
            yield block
            block = []
    if block:
        yield block


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


def _field_end(unit: _Unit, index: int) -> int:
    labels = unit.labels
    return labels[index + 1].start if index + 1 < len(labels) else unit.end


def _governing_label(unit: _Unit, pos: int) -> _Label | None:
    current = None
    for label in unit.labels:
        if label.start >= pos:
            break
        current = label
    return current


def _block_spans(norm: str, block: list[_Unit]) -> tuple[list[PiiSpan], list[str]]:
    if not any(unit.labels for unit in block):
        return [], []
    spans: list[PiiSpan] = []
    masked_names: list[str] = []
    names_person = False

    def add_name(s: int, e: int) -> None:
        spans.append(PiiSpan(s, e, "contact_name", KIND_LABELS["contact_name"]))
        masked_names.append(norm[s:e])

    for unit in block:
        if unit.unlabelled_name:
            add_name(*unit.unlabelled_name)
            names_person = True
        for i, label in enumerate(unit.labels):
            end = _field_end(unit, i)
            if label.kind == "person":
                names = _names_in_field(norm, label.end, end)
                for s, e in names:
                    add_name(s, e)
                has_number = any(label.end <= s < end for s, _ in unit.numbers)
                names_person = names_person or bool(names) or has_number
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
            digits = re.sub(r"[^0-9]", "", norm[s:e])
            if _is_bare_date(digits) and not (governing and kind in ("phone", "person")):
                continue
            if kind == "person" or names_person:
                spans.append(PiiSpan(s, e, "phone", KIND_LABELS["phone"]))
    return spans, masked_names


def _value_span(norm: str, label: _Label, end: int) -> list[PiiSpan]:
    if label.kind == "bank":
        m = _BANK_VALUE_RE.match(norm, label.end, end)
        return [PiiSpan(m.start(), m.end(), "address", _BANK_LABEL)] if m else []
    m = _ADDRESS_VALUE_RE.match(norm, label.end, end)
    if m is None or m.group() in _NOT_NAMES:
        return []
    return [PiiSpan(m.start(), m.end(), "address", KIND_LABELS["address"])]


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def find_personal_data(text: str) -> list[PiiSpan]:
    """Personal contact details in a letter: sorted, non-overlapping spans into ``text``."""
    norm = normalize(text)
    spans: list[PiiSpan] = []
    names: list[str] = []
    field_ranges: list[tuple[int, int]] = []

    for block in _contact_blocks(norm):
        block_spans, block_names = _block_spans(norm, block)
        spans.extend(block_spans)
        names.extend(block_names)
        if any(unit.labels for unit in block):
            field_ranges.extend((unit.start, unit.end) for unit in block)
    # Addresses and bank accounts are personal wherever they are labelled.
    for start, end in _units(norm):
        for label in _find_labels(norm, start, end):
            if label.kind in ("address", "bank"):
                spans.extend(_value_span(norm, label, end))

    for s, e in _mobiles(norm, 0, len(norm)):
        spans.append(PiiSpan(s, e, "mobile", KIND_LABELS["mobile"]))
    for m in _EMAIL_RE.finditer(norm):
        email_end = _email_end(m.group())
        if email_end:
            spans.append(PiiSpan(m.start(), m.start() + email_end, "email", KIND_LABELS["email"]))
    for m in _ID_RE.finditer(norm):
        if is_valid_id_number("".join(m.groups())):
            spans.append(PiiSpan(m.start(), m.end(), "id_number", KIND_LABELS["id_number"]))

    # A contact's name is masked wherever it appears (a handler named again in the body).
    found_at = {(s.start, s.end) for s in spans}
    for name in dict.fromkeys(n for n in names if len(n) >= 2):
        pos = norm.find(name)
        while pos != -1:
            if (pos, pos + len(name)) not in found_at:
                spans.append(
                    PiiSpan(pos, pos + len(name), "contact_name", KIND_LABELS["contact_name"])
                )
            pos = norm.find(name, pos + len(name))

    protected = [(m.start(), m.end()) for m in _PROTECTED_RE.finditer(norm)]
    if protected:
        spans = [s for s in spans if not _overlaps_any(s.start, s.end, protected)]
    merged = _merge(spans)
    return [_with_placeholder(span, field_ranges) for span in merged]


def _email_end(match: str) -> int:
    """Length of the address within a match, trimmed to a top-level domain of letters."""
    local, _, domain = match.partition("@")
    labels = domain.split(".")
    while len(labels) > 1 and not (labels[-1].isalpha() and len(labels[-1]) >= 2):
        labels.pop()
    if len(labels) < 2:
        return 0
    return len(local) + 1 + len(".".join(labels))


def _overlaps_any(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in ranges)


def _with_placeholder(span: PiiSpan, field_ranges: list[tuple[int, int]]) -> PiiSpan:
    if span.kind == "manual" or any(s <= span.start < e for s, e in field_ranges):
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
