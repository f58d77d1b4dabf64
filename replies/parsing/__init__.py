"""Reply-letter parser: letter text (or an HTML page, or a file) -> ParsedLetter.

Pure Python and standard library only, so it can be tested and benchmarked without Django;
``replies.services`` turns a ParsedLetter into model rows.
"""

from .files import parse_paths, read_letter_bytes, read_letter_file
from .html_text import html_to_text
from .letter import parse_letter
from .result import ParsedCommitment, ParsedLetter, ParsedSection, ParsedTarget
from .topics import DEFAULT_TOPICS, match_topic

__all__ = [
    "DEFAULT_TOPICS",
    "ParsedCommitment",
    "ParsedLetter",
    "ParsedSection",
    "ParsedTarget",
    "html_to_text",
    "match_topic",
    "parse_letter",
    "parse_paths",
    "read_letter_bytes",
    "read_letter_file",
]

from .pii import PiiSpan, apply_decisions, find_personal_data, mask_text  # noqa: E402

__all__ += ["PiiSpan", "apply_decisions", "find_personal_data", "mask_text"]
