from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify

from leads.models import ApiKey, Source


class Command(BaseCommand):
    help = (
        "Create a lead source and print its new API key (shown this once). A form source "
        "prints the path of its hosted form instead; an import source prints its slug."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--kind", choices=Source.Kind.values, default=Source.Kind.API)

    def handle(self, *args: Any, **options: Any) -> None:
        name, kind = options["name"], options["kind"]
        slug = slugify(name)
        if not slug:
            raise CommandError("The name needs at least one letter or digit.")
        if Source.objects.filter(slug=slug).exists() or Source.objects.filter(name=name).exists():
            raise CommandError(f"Source {name!r} already exists.")
        source = Source.objects.create(name=name, slug=slug, kind=kind)
        if kind == Source.Kind.API:
            _, raw = ApiKey.issue(source=source, name="created by create_source")
            self.stdout.write(raw)
        elif kind == Source.Kind.FORM:
            self.stdout.write(f"/f/{source.slug}/")
        else:
            self.stdout.write(source.slug)
