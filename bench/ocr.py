"""OCR benchmark: the character error rate of scanned letters read back by the importer.

Every sample letter (settings.SAMPLES_DIR: letters/*.txt and more/letters/*.txt) is
scanned with the fixed recipe of bench/ocr_recipe.py and read back through
replies.parsing.read_letter_bytes as one image per page, exactly as the importer reads
a scan. The error rate is the edit distance between what was read and the letter's text,
divided by the length of the text, both without whitespace. Full-width and half-width
forms of the same character count as the same (the samples mix them and the parser reads
both alike); the raw figure, without that folding, is printed beside it.

    make bench-ocr            (all samples; several minutes on two cores)
    python bench/ocr.py 001   (only letters whose file name contains "001")
"""

from __future__ import annotations

import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ocr_recipe import scan_pages  # noqa: E402

TARGET = 0.02
_WIDTH = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: " "})


def squeeze(text: str, *, fold: bool) -> str:
    if fold:
        text = text.translate(_WIDTH)
    return re.sub(r"\s+", "", text)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions cost 1)."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def read_scan(path: Path) -> tuple[str, str, int, float]:
    from replies.parsing import read_letter_bytes

    started = time.perf_counter()
    pages = scan_pages(path.read_text(encoding="utf-8"))
    texts = []
    for number, page in enumerate(pages, 1):
        text, warnings = read_letter_bytes(page, f"{path.stem}-{number}.jpg")
        if text is None:
            raise SystemExit(f"{path}: {'；'.join(warnings)}")
        texts.append(text)
    return str(path), "\f".join(texts), len(pages), time.perf_counter() - started


def samples(root: Path, pattern: str) -> list[Path]:
    paths = sorted((root / "letters").glob("*.txt")) + sorted(
        (root / "more" / "letters").glob("*.txt")
    )
    return [p for p in paths if pattern in str(p.relative_to(root))]


def main(argv: list[str]) -> int:
    root = Path(
        os.environ.get("SAMPLES_DIR", Path(__file__).resolve().parents[2] / "shared" / "samples")
    )
    paths = samples(root, argv[1] if len(argv) > 1 else "")
    if not paths:
        print(f"no sample letters under {root}", file=sys.stderr)
        return 1
    # Tesseract gains little from a second thread per page; one page per core is faster.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    workers = max(1, min(len(paths), os.cpu_count() or 1))
    total_errors = total_raw = total_length = 0
    total_pages = 0
    started = time.perf_counter()
    print(
        f"{'letter':<24} {'pages':>5} {'chars':>6} {'errors':>6} {'CER':>7} {'raw CER':>8} {'s':>6}"
    )
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for name, text, pages, seconds in pool.map(read_scan, paths):
            reference = Path(name).read_text(encoding="utf-8")
            ref, got = squeeze(reference, fold=True), squeeze(text, fold=True)
            errors = edit_distance(ref, got)
            raw = edit_distance(squeeze(reference, fold=False), squeeze(text, fold=False))
            total_errors += errors
            total_raw += raw
            total_length += len(ref)
            total_pages += pages
            label = str(Path(name).relative_to(root))
            print(
                f"{label:<24} {pages:>5} {len(ref):>6} {errors:>6} {errors / len(ref):>7.2%} "
                f"{raw / len(ref):>8.2%} {seconds:>6.1f}",
                flush=True,
            )
    cer = total_errors / total_length
    print(
        f"{'overall':<24} {total_pages:>5} {total_length:>6} {total_errors:>6} {cer:>7.2%} "
        f"{total_raw / total_length:>8.2%} {time.perf_counter() - started:>6.1f}"
    )
    print(f"target ≤ {TARGET:.0%}: {'met' if cer <= TARGET else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
