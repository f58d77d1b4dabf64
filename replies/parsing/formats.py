"""Letters in the formats staff receive: Word (.docx), PDF and scans, read as plain text.

- .docx: paragraphs and tables in document order (python-docx).
- PDF with a text layer: pdfminer.six, which maps CJK fonts (ToUnicode and the Adobe-GB1
  CMaps) to Unicode more reliably than pypdf and gives every glyph's position. Lines are
  rebuilt from the glyphs and wrapped lines are joined back into paragraphs, so the
  parser sees one line per paragraph, as in a text file. Pages are separated by a form
  feed (``\\f``); a paragraph that runs over a page break is kept whole on the page where
  it starts, so the form feed always falls between paragraphs.
- Scans (image-only PDF pages, .png/.jpg/.tif): rasterised with pypdfium2, cleaned up
  with Pillow (red seal removed, grayscale, small skew corrected) and read by Tesseract
  with its simplified-Chinese data. Tesseract is called as a subprocess rather than
  through pytesseract: one fewer dependency, the image travels on stdin (no temporary
  file), every call has a timeout, and the command is a parameter of each call instead
  of a module-wide global.

Legacy binary Word/WPS files (.doc/.wps) are refused with a message saying how to convert.
Every reader returns ``(text or None, warnings)`` like ``files.read_letter_bytes`` and
never raises on bad input. Pure Python: no Django here. The readers' libraries are imported
inside the functions that use them: the parser is imported by every command and web
worker, and only the few that read a .docx, PDF or scan should pay for loading them.
"""

from __future__ import annotations

import io
import os
import re
import statistics
import subprocess
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath

DOCX = "docx"
PDF = "pdf"
IMAGE = "image"
LEGACY = "legacy"

DOCX_SUFFIXES = frozenset({".docx", ".docm"})
PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
LEGACY_SUFFIXES = frozenset({".doc", ".wps", ".dot", ".wpt", ".rtf", ".odt"})
# Every suffix read here (the text and HTML suffixes are files.py's).
SUFFIXES = DOCX_SUFFIXES | PDF_SUFFIXES | IMAGE_SUFFIXES

# Scans are rasterised at this resolution: Tesseract reads 10–12 pt CJK best at ~300 dpi.
OCR_DPI = 300
# One page of OCR takes seconds; a stuck Tesseract must not hold a worker for ever.
OCR_TIMEOUT_SECONDS = 180
OCR_PSM = "6"
# A PDF page with fewer characters than this in its text layer is treated as a scan.
MIN_TEXT_CHARS = 10
# Beyond these a file is not a letter: refuse before doing expensive work.
MAX_PDF_PAGES = 300
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RASTER_SIDE = 7000

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_TIFF = (b"II*\x00", b"MM\x00*")

LEGACY_MESSAGE = (
    "不支持旧版 Word/WPS 文件（.doc、.wps 等）：{name}。请用 Word 或 WPS 打开它，"
    "选择“文件 → 另存为”，保存类型选“Word 文档（*.docx）”，再导入另存的 .docx 文件。"
)
NO_TESSERACT_MESSAGE = (
    "无法识别扫描件 {name}：服务器没有安装文字识别程序 Tesseract 及其简体中文数据"
    "（Debian 软件包 tesseract-ocr、tesseract-ocr-chi-sim）。"
    "请改用 .docx、带文字层的 PDF 或文本文件，或请管理员安装后再试。"
)
TOO_MANY_PAGES_MESSAGE = (
    "扫描件 {name} 有 {pages} 页需要文字识别，这里最多识别 {limit} 页。"
    "页数较多的扫描件请由管理员用 import_letters 命令导入"
    "（python manage.py import_letters 文件或文件夹）。"
)


def kind_of(data: bytes, name: str = "") -> str | None:
    """DOCX, PDF, IMAGE or LEGACY for the formats read here; None for text (or HTML).

    The content decides where it is recognisable (a scan renamed .txt is still a scan);
    the name only tells the rest apart.
    """
    suffix = PurePath(name).suffix.lower()
    head = data[:1024]
    if b"%PDF-" in head:
        return PDF
    if data.startswith((_PNG, _JPEG, *_TIFF)):
        return IMAGE
    if data.startswith(_OLE) or data.startswith(b"{\\rtf"):
        return LEGACY
    if data.startswith(_ZIP):
        return LEGACY if suffix in LEGACY_SUFFIXES else DOCX
    if suffix in LEGACY_SUFFIXES:
        return LEGACY
    if suffix in DOCX_SUFFIXES:
        return DOCX
    if suffix in PDF_SUFFIXES:
        return PDF
    if suffix in IMAGE_SUFFIXES:
        return IMAGE
    return None


def read_document(
    data: bytes,
    name: str = "",
    *,
    max_pages: int | None = None,
    tesseract_cmd: str | None = None,
) -> tuple[str | None, list[str]]:
    """The text of a .docx, PDF or scanned letter: (text or None, warnings). Never raises.

    ``max_pages`` bounds OCR: a file with more pages to recognise is refused before any is
    read (None: no bound). ``tesseract_cmd`` defaults to $TESSERACT_CMD, else "tesseract".
    """
    shown = name or "上传的文件"
    kind = kind_of(data, name)
    try:
        if kind == LEGACY:
            return None, [LEGACY_MESSAGE.format(name=shown)]
        if kind == DOCX:
            return _checked(docx_text(data), shown)
        if kind == PDF:
            return pdf_text(data, shown, max_pages=max_pages, tesseract_cmd=tesseract_cmd)
        if kind == IMAGE:
            return image_text(data, shown, max_pages=max_pages, tesseract_cmd=tesseract_cmd)
    except _Refused as refusal:
        return None, [str(refusal)]
    except Exception as exc:  # noqa: BLE001 - hostile files must not crash an import
        return None, [f"无法读取文件 {shown}：文件已损坏或格式不受支持（{type(exc).__name__}）"]
    return None, [f"不是可识别的文件格式：{shown}"]


class _Refused(Exception):
    """A file we will not read, with the Chinese reason shown to staff."""


def _checked(text: str, shown: str) -> tuple[str | None, list[str]]:
    if not text.strip():
        return text, [f"文件没有文字内容：{shown}"]
    return text, []


# ---------------------------------------------------------------------------
# Word (.docx)
# ---------------------------------------------------------------------------


def docx_text(data: bytes) -> str:
    """Paragraphs and table rows in document order, one per line.

    A table row becomes one line with its cells separated by two spaces, as the
    metadata rows of disclosure pages are (索引号  …  发布机构  …); merged cells count once.
    """
    import docx

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # A zip bomb would otherwise be inflated in full by the XML parser.
        if sum(info.file_size for info in archive.infolist()) > MAX_DOCX_UNCOMPRESSED:
            raise _Refused("Word 文件解压后过大，不像是一封答复函。")
        if "word/document.xml" not in archive.namelist():
            raise _Refused("文件不是 Word 文档（.docx）。")
    document = docx.Document(io.BytesIO(data))
    return "\n".join(_docx_blocks(document)) + "\n"


def _docx_blocks(container) -> Iterator[str]:
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            yield from _docx_table(block)
        else:
            yield block.text


def _docx_table(table) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(line.strip() for line in _docx_blocks(cell) if line.strip())
            if text:
                cells.append(text)
        if cells:
            yield "  ".join(cells)


# ---------------------------------------------------------------------------
# Page layout: glyphs or OCR words -> rows -> paragraphs
# ---------------------------------------------------------------------------


@dataclass
class _Row:
    """One visual line of a page, in page units with y growing downwards."""

    text: str
    left: float  # x of the first visible glyph
    right: float  # x of the end of the last visible glyph
    top: float
    bottom: float
    size: float  # glyph height (≈ font size)
    lead: float  # width of the first word: what could not fit on the line above


_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u201c\u201d\u2018\u2019\u2014\u2026\u00b7"
_CJK_RE = re.compile(f"[{_CJK}]")
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_ASCII_WORD_RE = re.compile(r"[!-~]")
# Page numbers in headers and footers: "- 3 -", "— 3 —", "3", "第 3 页", "第3页 共5页", "3/5".
_PAGE_NUMBER_RE = re.compile(
    r"[-—–－\s]*\d{1,3}[-—–－\s]*|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?|\d{1,3}\s*/\s*\d{1,3}"
)


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def _drop_page_furniture(rows: list[_Row], page_height: float) -> list[_Row]:
    """Rows other than page numbers in the top or bottom tenth of the page."""
    return [
        row
        for row in rows
        if not (
            _PAGE_NUMBER_RE.fullmatch(row.text.strip())
            and (row.bottom < page_height * 0.1 or row.top > page_height * 0.9)
        )
    ]


def _join_rows(first: str, second: str) -> str:
    if first.endswith((" ", "\u3000")) or not first or not second:
        return first + second
    # Latin words wrapped at a line end lost their space; CJK text never had one.
    if first[-1].isascii() and first[-1].isalpha() and second[0].isascii() and second[0].isalpha():
        return first + " " + second
    return first + second


def reflow(pages: Sequence[Sequence[_Row]]) -> list[list[str]]:
    """The paragraphs of each page: wrapped lines joined, page furniture already gone.

    A line continues the paragraph of the line above when the first word of the line
    could not have fitted at the end of the line above (the line above was wrapped), the
    line is not indented, there is no blank line between them and the type size is the
    same. This reads justified and ragged text alike and needs no knowledge of the
    letter. A paragraph running over a page break stays on the page where it starts.
    The text block is assumed to be a single column with the same width on every page
    (its position may move, as on scans).
    """
    widths = [max(r.right for r in rows) - min(r.left for r in rows) for rows in pages if rows]
    block_width = max(widths, default=0.0)
    paragraphs: list[list[str]] = [[] for _ in pages]
    current: list[str] = []
    current_page = 0
    previous: _Row | None = None
    previous_right_edge = 0.0
    for page_index, rows in enumerate(pages):
        if not rows:
            continue
        left_edge = min(r.left for r in rows)
        right_edge = max(max(r.right for r in rows), left_edge + block_width)
        for row_index, row in enumerate(rows):
            continues = (
                previous is not None
                and current
                and previous_right_edge - previous.right < row.lead + 1.2 * previous.size
                and row.left - left_edge < 0.6 * row.size
                and abs(row.size - previous.size) <= 0.25 * max(row.size, previous.size)
                and (row_index == 0 or row.top - previous.bottom < 1.0 * previous.size)
            )
            if continues:
                current.append(row.text)
            else:
                if current:
                    paragraphs[current_page].append(_join_all(current))
                current = [row.text]
                current_page = page_index
            previous = row
            previous_right_edge = right_edge
    if current:
        paragraphs[current_page].append(_join_all(current))
    return paragraphs


def _join_all(texts: list[str]) -> str:
    joined = texts[0]
    for text in texts[1:]:
        joined = _join_rows(joined, text)
    return joined.strip()


def pages_to_text(paragraphs: Sequence[Sequence[str]]) -> str:
    """One paragraph per line, pages separated by a form feed."""
    return "\f".join("".join(p + "\n" for p in page) for page in paragraphs)


# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------


@dataclass
class _Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


def pdf_text(
    data: bytes,
    name: str = "",
    *,
    max_pages: int | None = None,
    tesseract_cmd: str | None = None,
) -> tuple[str | None, list[str]]:
    """The text layer of each page; pages without one (scans) are read by OCR."""
    page_rows, heights = _pdf_rows(data)
    if not page_rows:
        raise _Refused(f"PDF 文件没有页面或已损坏：{name}")
    scanned = [
        index
        for index, rows in enumerate(page_rows)
        if sum(len(r.text.strip()) for r in rows) < MIN_TEXT_CHARS
        or sum(r.text.count("(cid:") for r in rows) > 5
    ]
    warnings: list[str] = []
    if scanned:
        _check_ocr_pages(len(scanned), max_pages, name)
        for index, rows in zip(
            scanned, _ocr_pdf_pages(data, scanned, name, tesseract_cmd), strict=True
        ):
            page_rows[index] = rows
            heights[index] = None
        if len(scanned) < len(page_rows):
            warnings.append(f"{name} 中有 {len(scanned)} 页没有文字层，已用文字识别读取，请核对。")
        else:
            warnings.append(f"{name} 是扫描件，已用文字识别读取，请核对识别结果。")
    # Furniture is dropped per page in the page's own units (points or pixels).
    cleaned = [
        rows if height is None else _drop_page_furniture(rows, height)
        for rows, height in zip(page_rows, heights, strict=True)
    ]
    text = pages_to_text(_reflow_by_units(cleaned, [h is None for h in heights]))
    text_warnings = _checked(text, name)[1]
    return text, warnings + text_warnings


def _reflow_by_units(pages: list[list[_Row]], is_ocr: list[bool]) -> list[list[str]]:
    # Text-layer pages (points) and OCR pages (pixels) measure the block width in different
    # units, so a mixed PDF is reflowed in runs of one kind.
    result: list[list[str]] = []
    start = 0
    for end in range(1, len(pages) + 1):
        if end == len(pages) or is_ocr[end] != is_ocr[start]:
            result.extend(reflow(pages[start:end]))
            start = end
    return result


def _pdf_rows(data: bytes) -> tuple[list[list[_Row]], list[float | None]]:
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LTChar, LTContainer
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    parser = PDFParser(io.BytesIO(data))
    document = PDFDocument(parser)
    manager = PDFResourceManager(caching=True)
    # No layout analysis: glyphs are grouped into lines here, with CJK-aware spacing.
    device = PDFPageAggregator(manager, laparams=None)
    interpreter = PDFPageInterpreter(manager, device)
    pages: list[list[_Row]] = []
    heights: list[float | None] = []
    for index, page in enumerate(PDFPage.create_pages(document)):
        if index >= MAX_PDF_PAGES:
            raise _Refused(f"PDF 超过 {MAX_PDF_PAGES} 页，不像是一封答复函。")
        interpreter.process_page(page)
        layout = device.get_result()
        height = layout.height
        glyphs: list[_Glyph] = []

        def collect(item, glyphs=glyphs, height=height) -> None:
            if isinstance(item, LTChar):
                glyphs.append(
                    _Glyph(
                        item.get_text(),
                        item.x0,
                        item.x1,
                        height - item.y1,
                        height - item.y0,
                        item.size or (item.y1 - item.y0),
                    )
                )
            elif isinstance(item, LTContainer):
                for child in item:
                    collect(child)

        collect(layout)
        pages.append(_glyph_rows(glyphs))
        heights.append(height)
    return pages, heights


def _glyph_rows(glyphs: list[_Glyph]) -> list[_Row]:
    """Glyphs grouped into visual lines (top to bottom), each read left to right."""
    visible = [g for g in glyphs if g.size > 0]
    visible.sort(key=lambda g: ((g.top + g.bottom) / 2, g.x0))
    lines: list[list[_Glyph]] = []
    for glyph in visible:
        middle = (glyph.top + glyph.bottom) / 2
        if lines:
            line = lines[-1]
            line_middle = statistics.median((g.top + g.bottom) / 2 for g in line[-8:])
            if abs(middle - line_middle) < 0.4 * min(glyph.size, line[-1].size):
                line.append(glyph)
                continue
        lines.append([glyph])
    rows = []
    for line in lines:
        line.sort(key=lambda g: g.x0)
        row = _glyph_row(line)
        if row is not None:
            rows.append(row)
    return rows


def _glyph_row(line: list[_Glyph]) -> _Row | None:
    ink = [g for g in line if g.text.strip()]
    if not ink:
        return None
    size = statistics.median(g.size for g in ink)
    parts: list[str] = []
    previous: _Glyph | None = None
    for glyph in line:
        if previous is not None and glyph.text.strip() and previous.text.strip():
            gap = glyph.x0 - previous.x1
            both_cjk = is_cjk(glyph.text[0]) and is_cjk(previous.text[-1])
            # Glyphs placed apart without a space glyph between them: a word space, or a
            # wide gap between table cells; CJK letter-spacing from justification is not.
            if gap > (1.0 if both_cjk else 0.25) * size:
                parts.append("  " if gap > 2.0 * size else " ")
        parts.append(glyph.text)
        previous = glyph
    first = ink[0]
    lead_end = first.x1
    if not is_cjk(first.text[0]):
        for glyph in line[line.index(first) :]:
            if not glyph.text.strip() or is_cjk(glyph.text[0]):
                break
            lead_end = glyph.x1
    return _Row(
        # A trailing space is kept: it is the word space where the line was wrapped.
        text="".join(parts).lstrip(),
        left=first.x0,
        right=ink[-1].x1,
        top=min(g.top for g in ink),
        bottom=max(g.bottom for g in ink),
        size=size,
        lead=lead_end - first.x0,
    )


def _ocr_pdf_pages(
    data: bytes, indexes: list[int], name: str, tesseract_cmd: str | None
) -> Iterator[list[_Row]]:
    import pypdfium2 as pdfium

    command = _tesseract_command(tesseract_cmd, name)
    document = pdfium.PdfDocument(data)
    try:
        for index in indexes:
            page = document[index]
            width, height = page.get_size()
            scale = min(OCR_DPI / 72, MAX_RASTER_SIDE / max(width, height, 1))
            image = page.render(scale=scale, grayscale=False).to_pil()
            page.close()
            yield ocr_rows(image, command)
    finally:
        document.close()


# ---------------------------------------------------------------------------
# Scans: images and OCR
# ---------------------------------------------------------------------------


def image_text(
    data: bytes,
    name: str = "",
    *,
    max_pages: int | None = None,
    tesseract_cmd: str | None = None,
) -> tuple[str | None, list[str]]:
    """A scanned letter: one page per image frame (multi-page TIFF), read by OCR."""
    from PIL import Image, ImageOps, ImageSequence

    with Image.open(io.BytesIO(data)) as image:
        frames = getattr(image, "n_frames", 1)
        _check_ocr_pages(frames, max_pages, name)
        command = _tesseract_command(tesseract_cmd, name)
        # A phone photo is stored sideways with an EXIF note saying which way is up.
        pages = [
            ocr_rows(ImageOps.exif_transpose(frame.copy()), command)
            for frame in ImageSequence.Iterator(image)
        ]
    text = pages_to_text(reflow(pages))
    return text, [f"{name} 是扫描件，已用文字识别读取，请核对识别结果。", *_checked(text, name)[1]]


def _check_ocr_pages(pages: int, max_pages: int | None, name: str) -> None:
    if max_pages is not None and pages > max_pages:
        raise _Refused(TOO_MANY_PAGES_MESSAGE.format(name=name, pages=pages, limit=max_pages))


def _tesseract_command(tesseract_cmd: str | None, name: str) -> str:
    """The Tesseract command, checked once per file so a missing one is a clear refusal."""
    command = tesseract_cmd or os.environ.get("TESSERACT_CMD") or "tesseract"
    try:
        listed = subprocess.run(
            [command, "--list-langs"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        raise _Refused(NO_TESSERACT_MESSAGE.format(name=name)) from None
    if "chi_sim" not in (listed.stdout + listed.stderr).decode("utf-8", "replace").split():
        raise _Refused(NO_TESSERACT_MESSAGE.format(name=name))
    return command


def preprocess(image):
    """A clean black-and-white page for Tesseract: red seal removed, skew corrected.

    Red ink (seals, approval marks) is turned white where it is clearly red, so black text
    under a seal survives; small skew (±3°) is measured on a reduced copy and undone.
    Small images (phone photos) are enlarged so CJK glyphs are about 40 px high.
    """
    from PIL import Image, ImageChops, ImageFilter

    if image.mode in ("I;16", "I", "F"):
        image = image.convert("L")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        if image.mode == "RGBA":
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A"))
            image = background
    if image.mode == "RGB":
        red, green, blue = image.split()
        redness = ImageChops.subtract(red, ImageChops.lighter(green, blue))
        seal = redness.point(lambda v: 255 if v > 60 else 0)
        gray = image.convert("L")
        gray.paste(255, mask=seal)
    else:
        gray = image
    if gray.width < 1600:
        factor = 2480 / max(gray.width, 1)
        gray = gray.resize((round(gray.width * factor), round(gray.height * factor)), Image.LANCZOS)
    gray = gray.filter(ImageFilter.MedianFilter(3))
    angle = skew_angle(gray)
    if abs(angle) >= 0.05:
        gray = gray.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    # Binarised here (Otsu) rather than by Tesseract: the faint halo a removed seal leaves
    # and the paper's noise fall cleanly to white (fewer stray characters in the text).
    threshold = _otsu(gray)
    return gray.point(lambda v: 255 if v > threshold else 0)


def _otsu(gray) -> int:
    histogram = gray.histogram()[:256]
    total = sum(histogram)
    sum_all = sum(i * h for i, h in enumerate(histogram))
    weight_b = sum_b = 0.0
    best, threshold = -1.0, 128
    for level in range(256):
        weight_b += histogram[level]
        if weight_b == 0:
            continue
        weight_f = total - weight_b
        if weight_f == 0:
            break
        sum_b += level * histogram[level]
        mean_b = sum_b / weight_b
        mean_f = (sum_all - sum_b) / weight_f
        between = weight_b * weight_f * (mean_b - mean_f) ** 2
        if between > best:
            best, threshold = between, level
    return threshold


def skew_angle(gray, *, limit: float = 3.0, step: float = 0.1) -> float:
    """The rotation (degrees, counter-clockwise) that makes text lines horizontal.

    Projection profiles: when lines are level, the rows of the page alternate sharply
    between ink and paper, so the profile's squared differences peak.
    """
    from PIL import Image

    small = gray.copy()
    small.thumbnail((1000, 1000 * gray.height // max(gray.width, 1)))
    threshold = _otsu(small)
    ink = small.point(lambda v: 255 if v < threshold else 0)

    def score(angle: float) -> float:
        rotated = ink.rotate(angle, resample=Image.NEAREST, expand=False, fillcolor=0)
        profile = rotated.resize((1, rotated.height), Image.BOX).tobytes()
        return sum((a - b) ** 2 for a, b in zip(profile, profile[1:], strict=False))

    steps = int(limit / step)
    best = max(range(-steps, steps + 1), key=lambda i: score(i * step))
    return best * step


@dataclass
class _Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]


def ocr_rows(image, tesseract_cmd: str) -> list[_Row]:
    """The visual lines Tesseract finds on one page, top to bottom (pixel units)."""
    page = preprocess(image)
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    try:
        result = subprocess.run(
            [tesseract_cmd, "stdin", "stdout", "-l", "chi_sim", "--psm", OCR_PSM, "tsv"],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=OCR_TIMEOUT_SECONDS,
            check=False,
            # Tesseract's OpenMP threads make a page slower, not faster, on a small shared
            # machine (and would take every core from the web workers); pages in parallel
            # processes are the better use of cores.
            env={**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")},
        )
    except subprocess.TimeoutExpired:
        raise _Refused("文字识别超时：扫描件过于复杂，请改用 .docx 或带文字层的 PDF。") from None
    except OSError:
        raise _Refused(NO_TESSERACT_MESSAGE.format(name="")) from None
    if result.returncode != 0:
        raise _Refused("文字识别失败：" + result.stderr.decode("utf-8", "replace")[-200:])
    words = _tsv_words(result.stdout.decode("utf-8", "replace"))
    return _word_rows(words, page.height)


def _tsv_words(tsv: str) -> list[_Word]:
    words = []
    for line in tsv.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 12 or fields[0] != "5" or not fields[11].strip():
            continue
        if float(fields[10]) < 0:
            continue
        words.append(
            _Word(
                text=fields[11].strip(),
                left=int(fields[6]),
                top=int(fields[7]),
                width=int(fields[8]),
                height=int(fields[9]),
                line=(int(fields[2]), int(fields[3]), int(fields[4])),
            )
        )
    return words


def _word_rows(words: list[_Word], page_height: int) -> list[_Row]:
    by_line: dict[tuple[int, int, int], list[_Word]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    # Tesseract's lines, merged when they share a height band (cells of one table row,
    # a signature beside a date) and ordered top to bottom.
    lines = sorted(by_line.values(), key=lambda ws: min(w.top for w in ws))
    merged: list[list[_Word]] = []
    for line in lines:
        top = min(w.top for w in line)
        bottom = max(w.top + w.height for w in line)
        if merged:
            last = merged[-1]
            last_top = min(w.top for w in last)
            last_bottom = max(w.top + w.height for w in last)
            overlap = min(bottom, last_bottom) - max(top, last_top)
            if overlap > 0.5 * min(bottom - top, last_bottom - last_top):
                last.extend(line)
                continue
        merged.append(list(line))
    rows = []
    for line in merged:
        line.sort(key=lambda w: w.left)
        # Glyph height from the boxes of Chinese characters: punctuation boxes are small,
        # brackets and quotes taller than the type.
        heights = [w.height for w in line if _HAN_RE.search(w.text)] or [w.height for w in line]
        size = float(statistics.median(heights))
        parts: list[str] = []
        for previous, word in zip([None, *line], line, strict=False):
            if previous is not None:
                gap = word.left - (previous.left + previous.width)
                if gap > 2.0 * size:
                    parts.append("  ")
                elif not (is_cjk(previous.text[-1]) or is_cjk(word.text[0])) or gap > size:
                    parts.append(" ")
            parts.append(word.text)
        first = line[0]
        if is_cjk(first.text[0]):
            lead = min(float(first.width), size)
        else:
            latin = len(re.match(r"[^\u2e80-\uffff]*", first.text).group())
            lead = first.width * latin / len(first.text)
        rows.append(
            _Row(
                text=tidy_ocr_text("".join(parts)),
                left=float(first.left),
                right=float(max(w.left + w.width for w in line)),
                top=float(min(w.top for w in line)),
                bottom=float(max(w.top + w.height for w in line)),
                size=size,
                lead=lead,
            )
        )
    return _drop_page_furniture(rows, page_height)


# Half-width punctuation Tesseract emits inside Chinese text, as the full-width forms
# Chinese typesetting uses (the parser reads both widths alike).
_FULL_WIDTH = str.maketrans({",": "，", ";": "；", ":": "：", "?": "？", "!": "！"})
# Brackets by pairs, so that one pair never mixes widths: full-width around Chinese text.
_PARENS_RE = re.compile(r"[(（]([^()（）]*)[)）]")
_SPACE_IN_CJK_RE = re.compile(rf"(?<=[{_CJK}])[ \t]+|[ \t]+(?=[{_CJK}])")
_SPACE_DIGIT_RE = re.compile(r"(?<=\d)[ \t]+(?=\d)")
_PUNCT_NEAR_CJK_RE = re.compile(rf"(?<=[{_CJK}])[,;:?!]|[,;:?!](?=[{_CJK}])")


# The year of a document number (临发〔2020〕15号) stands in 〔〕 by the national standard for
# official documents (GB/T 9704); Tesseract reads those brackets as [], 【】 or ().
_DOC_NUMBER_YEAR_RE = re.compile(
    r"(?<=[\u4e00-\u9fff])\s*[\[【(（〔]\s*((?:19|20)\d{2})\s*[\]】)）〕](?=\s*\d{1,5}\s*号)"
)


def tidy_ocr_text(text: str) -> str:
    """OCR text as a person would have typed it: no spaces between Chinese characters (or
    between Chinese and digits, or inside numbers), full-width punctuation in Chinese,
    document numbers' years in 〔〕."""
    text = _DOC_NUMBER_YEAR_RE.sub(r"〔\1〕", text)
    text = _SPACE_IN_CJK_RE.sub("", text)
    text = _SPACE_DIGIT_RE.sub("", text)
    text = _PUNCT_NEAR_CJK_RE.sub(lambda m: m.group().translate(_FULL_WIDTH), text)
    text = _PARENS_RE.sub(
        lambda m: f"（{m.group(1)}）" if _HAN_RE.search(m.group(1)) else m.group(), text
    )
    # Quotes: straight ones become Chinese quotes, opening and closing in turn.
    if '"' in text:
        parts = text.split('"')
        text = parts[0] + "".join(
            ("“" if i % 2 == 0 else "”") + part for i, part in enumerate(parts[1:])
        )
    # Again: a space beside punctuation that has just become full-width.
    return _SPACE_IN_CJK_RE.sub("", text).strip()
