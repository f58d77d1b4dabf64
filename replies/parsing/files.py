"""Reading letter files from disk (any encoding the disclosure sites use) and batch parsing."""

from __future__ import annotations

import codecs
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .formats import kind_of, read_document
from .html_text import html_to_text, looks_like_html
from .letter import parse_letter
from .result import LETTER_KEYS

_HTML_SUFFIXES = frozenset(
    {".html", ".htm", ".shtml", ".xhtml", ".jhtml", ".asp", ".aspx", ".jsp", ".php"}
)
# Beyond this a "letter" is certainly not one; refuse before reading it into memory.
MAX_FILE_BYTES = 20 * 1024 * 1024


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:20000]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return bad / len(sample)


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """(text, encoding) or (None, None) when the bytes are not text we can read."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return None, None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None, None
    if b"\x00" in data:
        # NUL bytes never occur in UTF-8 or GB18030 text: this is a binary file.
        return None, None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None, None


def read_letter_bytes(
    data: bytes, name: str = "", *, max_pages: int | None = None
) -> tuple[str | None, list[str]]:
    """Decode an uploaded or read letter: UTF-8 (BOM or not), else GB18030; HTML converted;
    .docx, PDF and scans read by ``formats`` (OCR of at most ``max_pages`` pages).

    ``name`` (a file name) helps to recognise HTML and the file formats and to word the
    warnings. Returns (text, warnings); text is None when the bytes are not a letter we
    can read. Never raises.
    """
    if kind_of(data, name) is not None:
        return read_document(data, name, max_pages=max_pages)
    warnings: list[str] = []
    text, encoding = _decode(data)
    if text is None or _control_ratio(text) > 0.01:
        return None, [f"不是文本文件或编码无法识别（支持 UTF-8 和 GB18030）：{name}"]
    if encoding == "gb18030":
        warnings.append("文件不是 UTF-8 编码，已按 GB18030 读取")
    if Path(name).suffix.lower() in _HTML_SUFFIXES or looks_like_html(text):
        text = html_to_text(text)
    if not text.strip():
        warnings.append(f"文件没有文字内容：{name}")
    return text, warnings


def read_letter_file(
    path: str | os.PathLike[str], *, max_pages: int | None = None
) -> tuple[str | None, list[str]]:
    """Read a letter file as text: UTF-8 (BOM or not), else GB18030; HTML converted;
    .docx, PDF and scans as ``read_letter_bytes`` reads them.

    Returns (text, warnings); text is None when the file is missing, unreadable or not
    text. Never raises.
    """
    try:
        file_path = Path(path)
        size = file_path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [f"文件过大（{size} 字节），不像是答复函：{path}"]
        data = file_path.read_bytes()
    except FileNotFoundError:
        return None, [f"文件不存在：{path}"]
    except IsADirectoryError:
        return None, [f"路径是文件夹而不是文件：{path}"]
    except PermissionError:
        return None, [f"没有读取权限：{path}"]
    except (OSError, TypeError, ValueError) as exc:
        return None, [f"无法读取文件：{path}（{type(exc).__name__}）"]
    return read_letter_bytes(data, os.fspath(path), max_pages=max_pages)


def _empty_result(path: str) -> dict[str, Any]:
    result: dict[str, Any] = {"path": path}
    for key in LETTER_KEYS:
        result[key] = (
            []
            if key in ("proposers", "sections", "promises", "derived_sections", "warnings")
            else None
        )
    return result


def parse_paths(
    paths: Sequence[str | os.PathLike[str]], *, topics: Mapping[str, Sequence[str]] | None = None
) -> list[dict[str, Any]]:
    """One JSON-ready dict per path, in order, for the `parse_letter --json` command.

    A file that cannot be read still yields a dict with every key, None/[] values and a
    warning, so one bad file never hides the results for the others.
    """
    results: list[dict[str, Any]] = []
    for path in paths:
        shown = os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)
        text, warnings = read_letter_file(path)
        if text is None:
            result = _empty_result(shown)
            result["warnings"] = warnings
        else:
            letter = parse_letter(text, topics=topics)
            result = {"path": shown, **letter.as_dict()}
            result["warnings"] = warnings + result["warnings"]
        results.append(result)
    return results
