"""Letters as the files staff receive, made from a letter's text: a .docx, a PDF with a text
layer, and a scan made with one fixed recipe.

Used by the format tests (tests/replies/parsing/test_formats.py) and the OCR benchmark
(bench/ocr.py), so both judge the same kind of scan. Nothing here is kept on disk.

The scan recipe: the letter laid out on A4 in WenQuanYi Micro Hei (12 pt, first lines
indented two characters, page numbers at the foot) and rendered at 300 dpi; a red round
seal over the signature and date; Gaussian noise with σ = 8; a 0.5° skew; JPEG quality 75.
The noise is seeded, so a scan is the same on every run.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
DPI = 300
NOISE_SIGMA = 8.0
SKEW_DEGREES = 0.5
JPEG_QUALITY = 75
SEED = 20211

# A4 in points, 2.5 cm margins, 12 pt type with 1.5 line spacing.
PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89
MARGIN = 72.0
FONT_SIZE = 12.0
LINE_PITCH = 18.0
# Characters that may not begin a line (Chinese line-breaking rules, 避头点).
_NO_LINE_START = set("，。、；：？！）》」』”’〉】〕,.;:?!)%")
_DATE_RE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")


@dataclass(frozen=True)
class PlacedLine:
    """Where a line of text was drawn: page index, left x, baseline y (points, from top)."""

    page: int
    x: float
    y: float
    width: float
    text: str


def _units(text: str) -> list[str]:
    """Line-breaking units: a run of Latin letters/digits stays whole, as Word keeps it."""
    return re.findall(r"[!-~]+|.", text)


def layout(text: str, measure) -> list[PlacedLine]:
    """Every line of ``text`` as a paragraph: wrapped at the margins, first line indented
    two characters (plus any spaces the line starts with), blank lines kept as space."""
    usable = PAGE_WIDTH - 2 * MARGIN
    lines_per_page = int((PAGE_HEIGHT - 2 * MARGIN) // LINE_PITCH)
    placed: list[PlacedLine] = []
    slot = 0
    for raw in text.replace("\f", "\n").splitlines():
        body = raw.strip()
        if not body:
            slot += 1
            continue
        leading = raw[: len(raw) - len(raw.lstrip())]
        indent = min(2 * FONT_SIZE + measure(leading), usable * 0.6)
        units = _units(body)
        start = 0
        first = True
        while start < len(units):
            x = MARGIN + (indent if first else 0.0)
            room = PAGE_WIDTH - MARGIN - x
            end, width = start, 0.0
            while end < len(units):
                w = measure(units[end])
                if width + w > room and end > start:
                    break
                width += w
                end += 1
            if end < len(units) and units[end][0] in _NO_LINE_START and end - start > 2:
                end -= 1
            chunk = "".join(units[start:end])
            page, row = divmod(slot, lines_per_page)
            placed.append(
                PlacedLine(page, x, MARGIN + (row + 1) * LINE_PITCH - 4, measure(chunk), chunk)
            )
            slot += 1
            start = end
            first = False
    return placed


def letter_pdf(text: str) -> tuple[bytes, list[PlacedLine]]:
    """A PDF with a text layer (the font embedded), as a word processor would print it."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("wqy", fname=FONT_PATH)
    pdf.set_font("wqy", size=FONT_SIZE)
    placed = layout(text, pdf.get_string_width)
    pages = max((line.page for line in placed), default=0) + 1
    for page in range(pages):
        pdf.add_page()
        for line in placed:
            if line.page == page:
                pdf.text(line.x, line.y, line.text)
        number = f"- {page + 1} -"
        pdf.text((PAGE_WIDTH - pdf.get_string_width(number)) / 2, PAGE_HEIGHT - 40, number)
    return bytes(pdf.output()), placed


def letter_docx(text: str) -> bytes:
    """A Word document with one paragraph per line of the letter."""
    import docx

    document = docx.Document()
    for line in text.replace("\f", "\n").splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _seal_box(placed: list[PlacedLine]) -> tuple[int, float, float] | None:
    """(page, centre x, centre y) in points over the signature and date: the last line that
    holds only a date, else the last line with a date."""
    candidates = [line for line in placed if _DATE_RE.fullmatch(line.text.strip())]
    candidates = candidates or [line for line in placed if _DATE_RE.search(line.text)]
    if not candidates:
        return None
    date = candidates[-1]
    return date.page, date.x + date.width / 2, date.y - LINE_PITCH / 2


def _draw_seal(page, centre: tuple[float, float], scale: float) -> None:
    """A red round seal (ring, star, arc of text), multiplied over the page like ink."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    radius = int(1.9 / 2.54 * DPI)  # a 3.8 cm official seal
    size = 2 * radius + 20
    stamp = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(stamp)
    red = (215, 30, 35)
    c = size // 2
    draw.ellipse((c - radius, c - radius, c + radius, c + radius), outline=red, width=22)
    star = []
    for i in range(10):
        r = radius * (0.3 if i % 2 == 0 else 0.12)
        a = math.pi / 2 + i * math.pi / 5
        star.append((c + r * math.cos(a), c - r * math.sin(a)))
    draw.polygon(star, fill=red)
    font = ImageFont.truetype(FONT_PATH, int(radius * 0.24))
    label = "答复函专用章"
    for i, ch in enumerate(label):
        angle = math.radians(200 - i * (220 / (len(label) - 1)))
        x = c + radius * 0.72 * math.cos(angle)
        y = c - radius * 0.72 * math.sin(angle)
        glyph = Image.new("L", (int(radius * 0.3),) * 2, 0)
        ImageDraw.Draw(glyph).text((0, 0), ch, font=font, fill=255)
        glyph = glyph.rotate(math.degrees(angle) - 90, expand=True)
        stamp.paste(red, (int(x - glyph.width / 2), int(y - glyph.height / 2)), glyph)
    x, y = int(centre[0] * scale) - c, int(centre[1] * scale) - c
    region = page.crop((x, y, x + size, y + size))
    page.paste(ImageChops.multiply(region, stamp), (x, y))


def scan_pages(text: str) -> list[bytes]:
    """The letter printed, sealed and scanned: one JPEG per page (the recipe above)."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    pdf_bytes, placed = letter_pdf(text)
    seal = _seal_box(placed)
    rng = np.random.default_rng(SEED)
    scale = DPI / 72
    document = pdfium.PdfDocument(pdf_bytes)
    pages: list[bytes] = []
    for index in range(len(document)):
        page = document[index].render(scale=scale).to_pil().convert("RGB")
        if seal is not None and seal[0] == index:
            _draw_seal(page, seal[1:], scale)
        page = page.rotate(SKEW_DEGREES, resample=Image.BICUBIC, fillcolor="white")
        pixels = np.asarray(page, dtype=np.float32)
        pixels += rng.normal(0.0, NOISE_SIGMA, pixels.shape).astype(np.float32)
        page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
        buffer = io.BytesIO()
        page.save(buffer, format="JPEG", quality=JPEG_QUALITY, dpi=(DPI, DPI))
        pages.append(buffer.getvalue())
    document.close()
    return pages


def scan_pdf(pages: list[bytes]) -> bytes:
    """The scanned pages as an image-only PDF (each page one JPEG, no text layer)."""
    from PIL import Image

    images = [Image.open(io.BytesIO(page)) for page in pages]
    buffer = io.BytesIO()
    images[0].save(
        buffer, format="PDF", save_all=True, append_images=images[1:], resolution=float(DPI)
    )
    return buffer.getvalue()
