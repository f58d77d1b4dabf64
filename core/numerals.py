"""Chinese numerals: reading and writing them (十五届五次会议, 二〇二一年).

Pure Python, below every app: the letter parser reads numerals with these functions and
the models write session labels with them, so a label written by the site is exactly
what the parser reads from a letter.
"""

import re

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "O": 0,
    "o": 0,
    "0": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "两": 2,
    "贰": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_OUT_DIGITS = "零一二三四五六七八九"


def cn_to_int(token: str) -> int | None:
    """Read '15', '十五', '二十一', '一百零五' or positional '二〇二一' as an int.

    Returns None for anything that is not a number, so callers can treat a failed read
    as "no match" instead of guarding every call.
    """
    token = token.strip()
    if not token:
        return None
    if token.isascii() and token.isdigit():
        return int(token)
    if any(ch in _CN_UNITS for ch in token):
        total = 0
        current = 0
        for ch in token:
            if ch in _CN_DIGITS:
                current = _CN_DIGITS[ch] if not ch.isdigit() else int(ch)
            elif ch in _CN_UNITS:
                total += (current or 1) * _CN_UNITS[ch]
                current = 0
            elif ch.isdigit():
                current = int(ch)
            else:
                return None
        return total + current
    # Positional digits, as in years: 二〇二一, 二0一七.
    value = 0
    for ch in token:
        if ch in _CN_DIGITS:
            value = value * 10 + _CN_DIGITS[ch]
        elif ch.isdigit() and ch.isascii():
            value = value * 10 + int(ch)
        else:
            return None
    return value


def int_to_cn(number: int) -> str:
    """Write 1..9999 as session labels do: 15 -> 十五, 20 -> 二十, 105 -> 一百零五."""
    if number <= 0 or number >= 10000:
        return str(number)
    if number < 10:
        return _OUT_DIGITS[number]
    if number < 20:
        return "十" + (_OUT_DIGITS[number % 10] if number % 10 else "")
    parts: list[str] = []
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit:
            if pending_zero and parts:
                parts.append("零")
            parts.append(_OUT_DIGITS[digit] + unit)
            pending_zero = False
        else:
            pending_zero = True
    return "".join(parts)


def parse_session_label(label: str) -> tuple[int, int] | None:
    """十五届五次会议 → (15, 5)."""
    match = re.fullmatch(r"\s*(\S+?)届(\S+?)次会议\s*", label or "")
    if not match:
        return None
    term, meeting = cn_to_int(match.group(1)), cn_to_int(match.group(2))
    if not term or not meeting:
        return None
    return term, meeting
