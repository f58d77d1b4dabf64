"""Chinese numerals for session labels (十五届五次会议).

The letter parser reads and writes numerals; the models use the same functions so a label
written here is exactly what the parser produces from a letter.
"""

import re

from replies.parsing.text import cn_to_int as from_chinese
from replies.parsing.text import int_to_cn as to_chinese

__all__ = ["from_chinese", "parse_session_label", "to_chinese"]


def parse_session_label(label: str) -> tuple[int, int] | None:
    """十五届五次会议 → (15, 5)."""
    match = re.fullmatch(r"\s*(\S+?)届(\S+?)次会议\s*", label or "")
    if not match:
        return None
    term, meeting = from_chinese(match.group(1)), from_chinese(match.group(2))
    if not term or not meeting:
        return None
    return term, meeting
