"""replies.parsing.files: letter files and uploads in any encoding the disclosure sites
use, and batch parsing of paths.

No Django and no database: these run as plain pytest and under pytest-django alike.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from replies.parsing import parse_paths, read_letter_bytes, read_letter_file
from tests.replies.parsing.letters import invented_letter


def test_read_letter_file_encodings_and_failures(tmp_path: Path) -> None:
    """UTF-8 (with BOM) and GB18030 read; missing and binary files give a Chinese warning."""
    text = invented_letter("已完成。")
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "gb.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "bin.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "page.html").write_text(
        "<p>张三委员：</p><p>您提出的提案收悉。</p>", encoding="utf-8"
    )
    read, warnings = read_letter_file(tmp_path / "bom.txt")
    assert read == text and warnings == []
    read, warnings = read_letter_file(tmp_path / "gb.txt")
    assert read == text and any("GB18030" in w for w in warnings)
    read, _ = read_letter_file(tmp_path / "page.html")
    assert read == "张三委员：\n您提出的提案收悉。"
    for name in ("missing.txt", "bin.txt"):
        read, warnings = read_letter_file(tmp_path / name)
        assert read is None
        assert warnings and re.search(r"[\u4e00-\u9fff]", warnings[0])
    assert read_letter_file(tmp_path)[0] is None  # a folder


def test_read_letter_bytes_for_uploads() -> None:
    """Uploaded bytes decode like files; the name only helps to spot HTML."""
    html = "<p>张三委员：</p><p>您提出的提案收悉。</p>".encode("gb18030")
    text, warnings = read_letter_bytes(html, "reply.htm")
    assert text == "张三委员：\n您提出的提案收悉。"
    assert warnings == ["文件不是 UTF-8 编码，已按 GB18030 读取"]
    assert read_letter_bytes(b"\x00\x01\x02binary", "x.txt")[0] is None


def test_parse_paths_keeps_order_and_reports_bad_files(tmp_path: Path) -> None:
    """Every path gets a dict with every key; an unreadable file explains itself."""
    good = tmp_path / "good.txt"
    good.write_text(invented_letter("已完成。"), encoding="utf-8")
    missing = str(tmp_path / "missing.txt")
    results = parse_paths([str(good), missing])
    assert [r["path"] for r in results] == [str(good), missing]
    assert results[0]["reply_date"] == "2021-07-09"
    assert list(results[1]) == list(results[0])
    assert results[1]["sections"] == [] and results[1]["proposers"] == []
    assert results[1]["reply_date"] is None and results[1]["warnings"]
    json.dumps(results, ensure_ascii=False)
