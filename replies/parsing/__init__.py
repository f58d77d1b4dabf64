"""Reply-letter parser: letter text (or an HTML page, or a file) -> ParsedLetter.

Pure Python without Django, so it can be tested and benchmarked on its own; the parser
itself uses the standard library only, and ``formats`` reads .docx, PDF and scans with
python-docx, pdfminer.six, pypdfium2, Pillow and Tesseract. ``replies.services`` turns a
ParsedLetter into model rows.
"""

from .files import parse_paths, read_letter_bytes, read_letter_file
from .html_text import html_to_text
from .letter import parse_letter
from .pii import PiiSpan, apply_decisions, find_personal_data, mask_text
from .result import (
    NO_PROMISES_WARNING,
    REPLY_ROLE_ANSWER,
    REPLY_ROLE_CO_OPINION,
    ParsedCommitment,
    ParsedLetter,
    ParsedPromise,
    ParsedSection,
    ParsedTarget,
)
from .topics import DEFAULT_TOPICS, match_topic

__all__ = [
    "DEFAULT_TOPICS",
    "NO_PROMISES_WARNING",
    "REPLY_ROLE_ANSWER",
    "REPLY_ROLE_CO_OPINION",
    "ParsedCommitment",
    "ParsedLetter",
    "ParsedPromise",
    "ParsedSection",
    "ParsedTarget",
    "PiiSpan",
    "apply_decisions",
    "find_personal_data",
    "html_to_text",
    "mask_text",
    "match_topic",
    "parse_letter",
    "parse_paths",
    "read_letter_bytes",
    "read_letter_file",
]
