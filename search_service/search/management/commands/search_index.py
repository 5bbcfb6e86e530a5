"""`manage.py search_index`: create the index behind the alias if missing
(`--ensure`, the default; idempotent, for start-up scripts) and show what the
alias points to."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from search.engine import SearchEngineError, get_engine
from search.index import building_alias, ensure_index, index_alias


class Command(BaseCommand):
    help = "Ensure the property index exists behind its alias and print its state."

    def add_arguments(self, parser):
        parser.add_argument("--alias", help="default: settings.SEARCH_INDEX_ALIAS")
        parser.add_argument(
            "--ensure",
            action="store_true",
            default=True,
            help="create the index if the alias has none (default)",
        )
        parser.add_argument(
            "--status-only", action="store_false", dest="ensure", help="do not create anything"
        )

    def handle(self, *args, alias=None, ensure=True, **options):
        alias = alias or index_alias()
        engine = get_engine()
        try:
            if ensure:
                ensure_index(alias, force=True)
            live = engine.alias_indices(alias)
            building = engine.alias_indices(building_alias(alias))
            counts = {name: engine.count(index=name) for name in live + building}
        except SearchEngineError as exc:
            raise CommandError(f"search engine ({engine.name} at {engine.url}): {exc}") from exc
        if not live:
            self.stdout.write(f"{alias}: no index")
        for name in live:
            self.stdout.write(f"{alias} -> {name} ({counts[name]} documents)")
        for name in building:
            self.stdout.write(f"{building_alias(alias)} -> {name} ({counts[name]} documents)")
