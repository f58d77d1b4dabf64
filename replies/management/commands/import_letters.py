import sys
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from proposals.models import Committee
from replies.parsing import read_letter_file
from replies.services.letters.importer import Letter, import_letters

# Word, PDF and scans are read by replies.parsing.formats; .doc/.wps are listed so that a
# folder's old Word files are reported with the way to convert them, not silently skipped.
LETTER_SUFFIXES = {
    ".txt",
    ".text",
    ".html",
    ".htm",
    ".docx",
    ".pdf",
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    ".doc",
    ".wps",
}
# Letters imported in one transaction (each still fails alone, see replies.services.letters.importer):
# enough to share lookups and writes, few enough that a failed batch costs little.
CHUNK = 100
# ... and at most about this much text at once (a letter file may be up to 20 MB). Scans are
# read by OCR here without a page limit (the admin's upload has one).
CHUNK_CHARS = 20_000_000


def letter_paths(arguments: list[str]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            paths.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in LETTER_SUFFIXES
                )
            )
        else:
            paths.append(path)
    return paths


class Command(BaseCommand):
    help = (
        "Import reply letters (text, saved .html pages, .docx, PDF or scans read by OCR) as "
        "proposals, replies and "
        f"commitments, up to {CHUNK} letters to a transaction; a letter that fails is rolled "
        "back alone and reported, the others are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH|DIR")
        parser.add_argument(
            "--dry-run", action="store_true", help="Parse and check, store nothing."
        )
        parser.add_argument("--draft", action="store_true", help="Keep new replies as drafts.")
        parser.add_argument("--source-url", default="", help="Where the letter was published.")
        parser.add_argument(
            "--committee",
            metavar="SLUG",
            help="File every letter under this committee (its 网址标识), whatever the agency.",
        )
        parser.add_argument(
            "--unknown-committee",
            action="store_true",
            help="File letters whose agency names no region under 未注明地区政协/人大 "
            "instead of refusing them.",
        )

    def handle(self, *args, **options):
        options["committee_row"] = None
        if options["committee"]:
            options["committee_row"] = Committee.objects.filter(slug=options["committee"]).first()
            if options["committee_row"] is None:
                raise CommandError(f"没有网址标识为“{options['committee']}”的委员会。")
        paths = letter_paths(options["paths"])
        if not paths:
            raise CommandError("没有找到可导入的答复函文件。")
        counts = {"imported": 0, "updated": 0, "unchanged": 0, "failed": 0}
        failures: list[tuple[Path, str]] = []
        notes: list[tuple[Path, str]] = []
        show_progress = sys.stderr.isatty()
        done = 0
        for chunk in self.chunks(paths):
            for path, outcome, reason, warnings in self.import_chunk(chunk, options):
                counts[outcome] += 1
                if reason:
                    failures.append((path, reason))
                notes += [(path, warning) for warning in warnings]
                if options["verbosity"] >= 2:
                    self.stdout.write(f"{path}: {outcome}{'：' + reason if reason else ''}")
            done += len(chunk)
            if show_progress:
                bar = "#" * (30 * done // len(paths))
                sys.stderr.write(f"\r[{bar:<30}] {done}/{len(paths)}")
                sys.stderr.flush()
        if show_progress:
            sys.stderr.write("\n")
        prefix = "（试运行，未保存）" if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}导入 {counts['imported']}，更新 {counts['updated']}，"
            f"未变 {counts['unchanged']}，失败 {counts['failed']}"
        )
        for path, warning in notes:
            self.stdout.write(f"注意 {path}：{warning}")
        for path, reason in failures:
            self.stderr.write(f"失败 {path}：{reason}")
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} 个文件导入失败。")

    @staticmethod
    def chunks(paths: list[Path]) -> Iterator[list[tuple[Path, str | None, str]]]:
        """The files read, in order, as (path, text or None, reason) in chunks of CHUNK
        letters or CHUNK_CHARS characters, whichever comes first."""
        chunk: list[tuple[Path, str | None, str]] = []
        size = 0
        for path in paths:
            text, warnings = read_letter_file(path)
            if text is None:
                chunk.append((path, None, "；".join(warnings) or "无法读取文件"))
            elif not text.strip():
                chunk.append((path, None, "文件没有正文"))
            else:
                chunk.append((path, text, ""))
                size += len(text)
            if len(chunk) >= CHUNK or size >= CHUNK_CHARS:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    def import_chunk(
        self, chunk: list[tuple[Path, str | None, str]], options
    ) -> list[tuple[Path, str, str, list[str]]]:
        """(path, outcome, reason, warnings) for each file; the letters are imported in one
        transaction, where a refused one is rolled back alone. Warnings are those of the
        letters that changed something (a figure skipped, a date not moved)."""
        letters = [
            Letter(text=text, committee=options["committee_row"])
            for _path, text, _reason in chunk
            if text is not None
        ]
        outcomes = iter(
            import_letters(
                letters,
                source_url=options["source_url"],
                publish=not options["draft"],
                dry_run=options["dry_run"],
                unnamed_committee=options["unknown_committee"],
            )
        )
        rows = []
        for path, text, reason in chunk:
            if text is None:
                rows.append((path, "failed", reason, []))
            else:
                outcome = next(outcomes)
                warnings = (
                    list(outcome.result.warnings)
                    if outcome.result is not None and outcome.outcome != "unchanged"
                    else []
                )
                rows.append((path, outcome.outcome, outcome.error, warnings))
        return rows
