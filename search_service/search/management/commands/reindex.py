"""`manage.py reindex`: rebuild the search index from property_service's export
with no downtime (search/services.py, property_index_rebuild)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from search.engine import SearchEngineError
from search.index import index_alias
from search.property_export import PropertyExportError, property_export_rows
from search.services import RebuildResult, ReindexError, property_index_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the property search index from property_service's export into a new "
        "index, then swap the alias to it atomically. Events arriving meanwhile are "
        "written to both indices. On failure the live index is left untouched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--alias", help="index alias to rebuild (default: settings.SEARCH_INDEX_ALIAS)"
        )
        parser.add_argument(
            "--keep-old",
            action="store_true",
            help="keep the previous index (without alias) instead of deleting it",
        )
        parser.add_argument("--property-service-url", help="default: settings.PROPERTY_SERVICE_URL")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(
        self,
        *args,
        alias=None,
        keep_old=False,
        property_service_url=None,
        batch_size=500,
        **options,
    ):
        alias = alias or index_alias()
        if batch_size < 1:
            raise CommandError("--batch-size must be positive")
        rows = property_export_rows(base_url=property_service_url, limit=min(batch_size, 500))

        def progress(result: RebuildResult) -> None:
            self.stdout.write(
                f"  {result.documents} documents indexed into {result.index}"
                f" ({result.stale} already newer)"
            )

        self.stdout.write(f"reindexing {alias} from property_service's export")
        try:
            result = property_index_rebuild(
                source=rows,
                alias=alias,
                keep_old=keep_old,
                batch_size=batch_size,
                progress=progress,
            )
        except (ReindexError, PropertyExportError, SearchEngineError) as exc:
            raise CommandError(f"reindex failed, {alias} unchanged: {exc}") from exc
        old = ", ".join(result.old_indices) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"{alias} -> {result.index}: {result.documents} documents, "
                f"{result.count} listed, in {result.seconds:.1f}s (previous: {old}; "
                f"{'kept' if keep_old else 'deleted'})"
            )
        )
