import json

from django.core.management.base import BaseCommand

from replies.parsing import parse_paths


class Command(BaseCommand):
    help = (
        "Parse reply letters (text, .html, .docx, PDF or scans) and print what was found as "
        "one JSON array. Touches no database."
    )

    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--json", action="store_true", help="Print JSON (the only output format; kept stable)."
        )

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(parse_paths(options["paths"]), ensure_ascii=False, indent=2))
