from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leads.imports import ImportFileError, import_leads, read_import_rows


class Command(BaseCommand):
    help = (
        "Import historical leads from a CSV file (columns: see the Import page or README). "
        "Valid rows are imported; each rejected row is reported with its line number and "
        "reason on stderr, and the command then exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            rows = read_import_rows(text)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc

        def progress(report: Any, processed: int) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"{processed}/{report.total} rows checked")

        report = import_leads(rows, now=timezone.now(), on_batch=progress)
        for line, reason in report.errors:
            self.stderr.write(f"line {line}: {reason}")
        self.stdout.write(f"Imported {report.imported} of {report.total} rows.")
        if report.errors:
            raise CommandError(f"{len(report.errors)} rows were not imported (listed above).")
