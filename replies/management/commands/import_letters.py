import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from replies.parsing import read_letter_file
from replies.services import import_letter

LETTER_SUFFIXES = {".txt", ".text", ".html", ".htm"}


class _DryRun(Exception):
    pass


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
    help = "Import reply letters (text or saved .html pages) as proposals, replies and commitments."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH|DIR")
        parser.add_argument(
            "--dry-run", action="store_true", help="Parse and check, store nothing."
        )
        parser.add_argument("--draft", action="store_true", help="Keep new replies as drafts.")
        parser.add_argument("--source-url", default="", help="Where the letter was published.")

    def handle(self, *args, **options):
        paths = letter_paths(options["paths"])
        if not paths:
            raise CommandError("没有找到可导入的答复函文件。")
        counts = {"imported": 0, "updated": 0, "unchanged": 0, "failed": 0}
        failures: list[tuple[Path, str]] = []
        show_progress = sys.stderr.isatty()
        for index, path in enumerate(paths, start=1):
            if show_progress:
                bar = "#" * (30 * index // len(paths))
                sys.stderr.write(f"\r[{bar:<30}] {index}/{len(paths)}")
                sys.stderr.flush()
            outcome, reason = self.import_one(path, options)
            counts[outcome] += 1
            if reason:
                failures.append((path, reason))
            if options["verbosity"] >= 2:
                self.stdout.write(f"{path}: {outcome}{'：' + reason if reason else ''}")
        if show_progress:
            sys.stderr.write("\n")
        prefix = "（试运行，未保存）" if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}导入 {counts['imported']}，更新 {counts['updated']}，"
            f"未变 {counts['unchanged']}，失败 {counts['failed']}"
        )
        for path, reason in failures:
            self.stderr.write(f"失败 {path}：{reason}")
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} 个文件导入失败。")

    def import_one(self, path: Path, options) -> tuple[str, str]:
        text, warnings = read_letter_file(path)
        if text is None:
            return "failed", "；".join(warnings) or "无法读取文件"
        if not text.strip():
            return "failed", "文件没有正文"
        try:
            with transaction.atomic():
                result = import_letter(
                    text=text, source_url=options["source_url"], publish=not options["draft"]
                )
                if options["dry_run"]:
                    raise _DryRun(result.outcome)
        except _DryRun as dry:
            return str(dry), ""
        except (ValidationError, DatabaseError) as error:
            return "failed", str(error)[:300]
        return result.outcome, ""
