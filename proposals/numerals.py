"""Chinese numerals for session labels (十五届五次会议)."""

import re

_DIGITS = "零一二三四五六七八九"


def to_chinese(number: int) -> str:
    """Write 1..9999 the way session labels do: 15 → 十五, 20 → 二十, 105 → 一百零五."""
    if number <= 0 or number >= 10000:
        return str(number)
    if number < 10:
        return _DIGITS[number]
    if number < 20:
        return "十" + (_DIGITS[number % 10] if number % 10 else "")
    parts: list[str] = []
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit:
            if pending_zero and parts:
                parts.append("零")
            parts.append(_DIGITS[digit] + unit)
            pending_zero = False
        else:
            pending_zero = True
    return "".join(parts)


_VALUES = {char: value for value, char in enumerate(_DIGITS)} | {"〇": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def from_chinese(text: str) -> int | None:
    """二十 → 20, 十五 → 15, 一百零五 → 105, 15 → 15; None for anything else."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(char not in _VALUES and char not in _UNITS for char in text):
        return None
    total, digit = 0, None
    for char in text:
        if char in _VALUES:
            digit = _VALUES[char]
        else:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
    return total + (digit or 0)


def parse_session_label(label: str) -> tuple[int, int] | None:
    """十五届五次会议 → (15, 5)."""
    match = re.fullmatch(r"\s*(\S+?)届(\S+?)次会议\s*", label or "")
    if not match:
        return None
    term, meeting = from_chinese(match.group(1)), from_chinese(match.group(2))
    if not term or not meeting:
        return None
    return term, meeting
