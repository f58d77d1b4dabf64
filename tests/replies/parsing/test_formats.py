"""Letters as .docx, PDF and scans read to the same result as the letter's text.

Every input is made here from the sample letters at test time (bench/ocr_recipe.py);
nothing generated is kept. OCR runs once per session, on the seed letter only.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.ocr import edit_distance, squeeze
from bench.ocr_recipe import FONT_PATH, letter_docx, letter_pdf, scan_pages, scan_pdf
from replies.parsing import parse_letter, read_letter_bytes, read_letter_file
from replies.parsing.formats import (
    _Row,
    kind_of,
    pages_to_text,
    reflow,
    skew_angle,
    tidy_ocr_text,
)
from tests.replies.samples import (
    require_samples,
    require_tesseract,
    sample_id,
    sample_letters,
)

SAMPLES = sample_letters() or [None]


def _squeezed(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"\s+", "", value)
    if isinstance(value, dict):
        return {key: _squeezed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_squeezed(item) for item in value]
    return value


def _read(data: bytes, name: str, **kwargs) -> str:
    text, warnings = read_letter_bytes(data, name, **kwargs)
    assert text is not None, warnings
    return text


# ---------------------------------------------------------------------------
# Every sample as .docx and as a text PDF
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_docx_reads_to_exactly_what_the_text_reads_to(path):
    """A Word document keeps the letter's paragraphs and spacing: the parser's whole result
    (fields, sections with their text, commitments, targets, warnings) is the same."""
    require_samples()
    text = path.read_text(encoding="utf-8")
    from_docx = _read(letter_docx(text), path.stem + ".docx")
    assert parse_letter(from_docx).as_dict() == parse_letter(text).as_dict()


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_text_pdf_reads_to_what_the_text_reads_to(path):
    """A printed PDF wraps every paragraph into lines and moves them across pages; once
    the lines are joined back the parser finds the same fields, sections (number, marker,
    heading, text), commitments and targets. Only whitespace may differ (a PDF has no
    leading spaces and no blank lines)."""
    require_samples()
    text = path.read_text(encoding="utf-8")
    pdf, placed = letter_pdf(text)
    from_pdf = _read(pdf, path.stem + ".pdf")
    pages = max(line.page for line in placed) + 1
    assert from_pdf.count("\f") == pages - 1
    expected, got = parse_letter(text).as_dict(), parse_letter(from_pdf).as_dict()
    assert len(got["sections"]) == len(expected["sections"])
    # The PDF has pages, the text none: each section's page comes with the PDF only.
    assert expected.pop("pages") is None
    got_pages = got.pop("pages")
    if pages > 1:
        assert set(got_pages) == {str(section["number"]) for section in got["sections"]}
    else:
        assert got_pages is None
    assert _squeezed(got) == _squeezed(expected)


def test_pdf_form_feeds_separate_the_pages_where_sections_start():
    """The text of page N is what the layout put on page N; a paragraph that runs over a
    page break stays whole on the page where it starts."""
    root = require_samples()
    text = (root / "letters" / "001.txt").read_text(encoding="utf-8")
    pdf, placed = letter_pdf(text)
    pages = _read(pdf, "seed.pdf").split("\f")
    assert len(pages) == max(line.page for line in placed) + 1 > 2
    parsed = parse_letter(_read(pdf, "seed.pdf"))
    for number, marker in enumerate(["一、", "二、", "三、", "四、", "五、"], start=1):
        starts = [line.page for line in placed if line.text.startswith(marker)]
        assert parsed.pages[number] == starts[0] + 1
    for number, marker in enumerate(["一、", "二、", "三、", "四、", "五、"]):
        starts = [line.page for line in placed if line.text.startswith(marker)]
        on_page = [i for i, page in enumerate(pages) if re.search(f"(?m)^{marker}关于", page)]
        assert on_page == starts[:1], number
    # Every paragraph is one line: no line starts inside a sentence of the seed.
    for page in pages:
        for line in page.splitlines():
            assert line in text or re.sub(r"\s+", "", line) in re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------
# Word details
# ---------------------------------------------------------------------------


def test_docx_tables_are_read_in_document_order():
    """Paragraphs and table rows come in document order; a row is one line with its cells
    two spaces apart, a merged cell counted once."""
    import docx

    document = docx.Document()
    document.add_paragraph("对市政协十五届五次会议第89号提案答复的函")
    table = document.add_table(rows=2, cols=4)
    for cell, value in zip(
        table.rows[0].cells,
        ["索引号", "1342804570/kxjsj/2021-0000168", "发布机构", "科技局"],
        strict=True,
    ):
        cell.text = value
    merged = table.cell(1, 1).merge(table.cell(1, 3))
    table.cell(1, 0).text = "信息名称"
    merged.text = "关于强化科技创新引领的答复"
    document.add_paragraph("王坤委员：")
    buffer = io.BytesIO()
    document.save(buffer)
    text = _read(buffer.getvalue(), "letter.docx")
    assert text.splitlines() == [
        "对市政协十五届五次会议第89号提案答复的函",
        "索引号  1342804570/kxjsj/2021-0000168  发布机构  科技局",
        "信息名称  关于强化科技创新引领的答复",
        "王坤委员：",
    ]


def test_a_word_file_is_recognised_by_content_not_name():
    data = letter_docx("一、关于“加大投入”\n下一步，我们将加大投入。")
    assert kind_of(data, "letter.docx") == "docx"
    assert kind_of(data, "renamed.txt") == "docx"
    assert _read(data, "renamed.txt").startswith("一、关于“加大投入”")


# ---------------------------------------------------------------------------
# Refusals: legacy Word, broken files; never an exception
# ---------------------------------------------------------------------------

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (OLE, "答复函.doc"),
        (OLE, "答复函.wps"),
        (b"{\\rtf1\\ansi ...}", "答复函.doc"),
        (OLE, "x.bin"),
    ],
)
def test_legacy_word_and_wps_files_are_refused_with_how_to_convert(data, name):
    text, warnings = read_letter_bytes(data, name)
    assert text is None
    assert len(warnings) == 1
    assert "另存为" in warnings[0] and ".docx" in warnings[0]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4\n%%EOF", "broken.pdf", "PDF"),
        (b"%PDF-1.4\n1 0 obj <</Type /Catalog>> garbage", "broken2.pdf", "PDF"),
        (b"PK\x03\x04" + b"\x00" * 100, "broken.docx", "无法读取"),
        (b"not a zip at all", "letter.docx", "无法读取"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "scan.png", ""),
        (b"\xff\xd8\xff" + b"junk", "scan.jpg", ""),
    ],
)
def test_broken_files_are_refused_in_chinese_without_raising(data, name, message):
    text, warnings = read_letter_bytes(data, name)
    assert text is None
    assert warnings and message in warnings[0]
    assert re.search(r"[\u4e00-\u9fff]", warnings[0])


def test_a_zip_that_is_not_a_word_document_is_refused():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    text, warnings = read_letter_bytes(buffer.getvalue(), "表格.docx")
    assert text is None and "不是 Word 文档" in warnings[0]


def test_read_letter_file_reads_a_docx_from_disk(tmp_path):
    path = tmp_path / "答复.docx"
    path.write_bytes(letter_docx("王坤委员：\n一、关于“加大投入”"))
    text, warnings = read_letter_file(path)
    assert text == "王坤委员：\n一、关于“加大投入”\n" and warnings == []


# ---------------------------------------------------------------------------
# OCR bounds and Tesseract's absence (no OCR is run: refused before it starts)
# ---------------------------------------------------------------------------


def _blank_pages(count: int, fmt: str) -> bytes:
    pages = [Image.new("L", (850, 1100), 255) for _ in range(count)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format=fmt, save_all=True, append_images=pages[1:], resolution=100.0)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "name"), [("TIFF", "scan.tif"), ("PDF", "scan.pdf")])
def test_ocr_beyond_max_pages_is_refused_before_reading(fmt, name):
    text, warnings = read_letter_bytes(_blank_pages(6, fmt), name, max_pages=5)
    assert text is None
    assert "6 页" in warnings[0] and "最多识别 5 页" in warnings[0]
    assert "import_letters" in warnings[0]


def test_scans_are_refused_clearly_without_tesseract(monkeypatch):
    """Without Tesseract only scans are refused; text PDFs and Word files still read."""
    monkeypatch.setenv("TESSERACT_CMD", "/nonexistent/tesseract")
    for data, name in [(_blank_pages(1, "PNG"), "scan.png"), (_blank_pages(2, "PDF"), "s.pdf")]:
        text, warnings = read_letter_bytes(data, name)
        assert text is None
        assert "Tesseract" in warnings[0] and "无法识别扫描件" in warnings[0]
    pdf, _placed = letter_pdf("王坤委员：\n一、关于“加大投入”")
    assert _read(pdf, "text.pdf") == "王坤委员：\n一、关于“加大投入”\n"
    assert _read(letter_docx("王坤委员："), "a.docx") == "王坤委员：\n"


# ---------------------------------------------------------------------------
# Layout and clean-up helpers
# ---------------------------------------------------------------------------


def _row(text: str, left: float, top: float, *, size: float = 10.0) -> _Row:
    right = left + size * len(text)
    return _Row(text, left, right, top, top + size, size, size)


def test_reflow_joins_wrapped_lines_and_keeps_paragraphs():
    """Wrapped lines (the next character would not have fitted) are joined; an indented
    line, a blank line or a short line ends a paragraph; a paragraph running over a page
    break stays on its first page."""
    page_one = [
        _row("一、关于加大投入", 20, 0),
        _row("近年来我市高度重视科", 20, 15),
        _row("技创新。", 0, 30),
        _row("下一步我们将新增孵化", 20, 60),  # after a blank line
        _row("器3家，力争年内完成", 0, 75),
    ]
    page_two = [_row("任务。", 0, 0), _row("此复。", 20, 15)]
    assert reflow([page_one, page_two]) == [
        [
            "一、关于加大投入",
            "近年来我市高度重视科技创新。",
            "下一步我们将新增孵化器3家，力争年内完成任务。",
        ],
        ["此复。"],
    ]
    assert pages_to_text([["a", "b"], ["c"]]) == "a\nb\n\fc\n"


def test_tidy_ocr_text_is_how_a_person_would_type_it():
    assert (
        tidy_ocr_text("您 提 出 的 “ 关 于 ” 收 悉 , 现 答 复 如 下 :")
        == "您提出的“关于”收悉，现答复如下："
    )
    assert tidy_ocr_text("2021 年 7 月 9 日") == "2021年7月9日"
    assert tidy_ocr_text("临发[2020 ] 15号") == "临发〔2020〕15号"
    assert tidy_ocr_text("晋林函【2022]2号") == "晋林函〔2022〕2号"
    # Spaces between Latin words and digits stay; brackets go full-width around Chinese only.
    assert tidy_ocr_text("ICP 备 05026973 号 and more 6.6 亿") == "ICP备05026973号and more 6.6亿"
    assert tidy_ocr_text("纲要 (2016—2030年)") == "纲要（2016—2030年）"
    assert tidy_ocr_text("热线: (0539) 7030001") == "热线：(0539) 7030001"


def test_skew_angle_measures_small_rotations():

    font = ImageFont.truetype(FONT_PATH, 40)
    page = Image.new("L", (1600, 1200), 255)
    draw = ImageDraw.Draw(page)
    for row in range(18):
        draw.text(
            (80, 60 + row * 60), "近年来我市高度重视科技创新工作持续增加财政投入" * 2, font=font
        )
    for angle in (-1.2, 0.0, 0.5, 2.0):
        tilted = page.rotate(angle, fillcolor=255)
        assert abs(skew_angle(tilted) + angle) <= 0.15, angle


# ---------------------------------------------------------------------------
# Scans of the seed, read by Tesseract once per session
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def seed_scans() -> dict[str, str]:
    """The seed scanned with the recipe (bench/ocr_recipe.py), read back two ways: as one
    JPEG per page (pages joined by form feeds) and as a single image-only PDF."""
    root = require_samples()
    require_tesseract()
    text = (root / "letters" / "001.txt").read_text(encoding="utf-8")
    pages = scan_pages(text)
    from_images = "\f".join(
        _read(page, f"seed-{number}.jpg") for number, page in enumerate(pages, 1)
    )
    from_pdf = _read(scan_pdf(pages), "seed-scan.pdf")
    return {"reference": text, "jpg": from_images, "pdf": from_pdf}


@pytest.mark.parametrize("form", ["jpg", "pdf"])
def test_seed_scan_gives_the_key_fields(seed_scans, form):
    expected = parse_letter(seed_scans["reference"])
    got = parse_letter(seed_scans[form])
    assert (got.session, got.proposal_number, got.agency, got.reply_date) == (
        expected.session,
        expected.proposal_number,
        expected.agency,
        expected.reply_date,
    )


@pytest.mark.parametrize("form", ["jpg", "pdf"])
def test_seed_scan_gives_the_five_sections_with_deadlines_and_targets(seed_scans, form):
    def sections(letter):
        return [
            (
                s.number,
                s.marker,
                s.due_on,
                [(t.quantity, t.unit, t.deadline) for t in s.targets],
            )
            for s in letter.sections
        ]

    expected = sections(parse_letter(seed_scans["reference"]))
    assert len(expected) == 5
    assert sections(parse_letter(seed_scans[form])) == expected


@pytest.mark.parametrize("form", ["jpg", "pdf"])
def test_seed_scan_reads_nearly_every_character(seed_scans, form):
    """Character error rate under 3% (make bench-ocr measures all samples)."""
    reference = squeeze(seed_scans["reference"], fold=True)
    got = squeeze(seed_scans[form], fold=True)
    assert edit_distance(reference, got) / len(reference) < 0.03
    assert seed_scans[form].count("\f") == 3
