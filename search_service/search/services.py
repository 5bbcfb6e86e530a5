"""Writes to the search index: applying a property event, and rebuilding the
whole index from property_service's export (`manage.py reindex`).

Versioning and tombstones
-------------------------
Every write carries the property's `version` (per property, strictly
increasing) as an EXTERNAL version: the engine stores a document only if its
version is higher than the one it holds, and answers 409 otherwise. So a
duplicate or a replayed event, an out-of-order delivery, or an export row
older than what the consumer already wrote, is a no-op; a 409 is success
("already as new or newer"), never an error.

A property that is not `listed` must leave search, but it is NOT deleted: the
engine forgets a deleted document's version after `index.gc_deletes` (60 s),
and an older `listed` event arriving after that (a replay, a late retry, a
reindex export read before the archive) would be accepted and bring the
property back. Instead it is overwritten by a tombstone (id, status, version;
no searchable content) that keeps its version forever, and every query filters
`status: listed`.

Reindex without losing events
-----------------------------
`property_index_rebuild` creates a new physical index with the alias
`<alias>-building`, fills it from the export, then moves `<alias>` to it and
drops `<alias>-building` in ONE atomic `_aliases` request. Meanwhile the
consumer writes every event in one bulk request to `<alias>-building` first,
then to `<alias>`, both with `require_alias` (a write to a vanished alias
fails instead of auto-creating an index), treating "no such alias" on the
building alias as "no reindex running". Whatever the interleaving:

- an event written before the building alias exists was committed in
  property_service before the export starts reading, so the export carries it
  (or a newer version);
- an event written while the building alias exists reaches the new index
  directly;
- an event straddling the swap reaches the new index through one alias or the
  other: through `-building` if that is still there (the building alias
  resolves first), else through `<alias>`, which then points to the new index.
  (Both aliases of one bulk request are in fact resolved against the same
  cluster state.)

External versions make the order of these writes irrelevant. Only one reindex
runs at a time per alias (a PostgreSQL advisory lock), because two building
indices behind one alias would make the consumer's writes to it fail.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import DatabaseError, connection
from rentezy_platform.events import InvalidEvent, validate_data

from search.documents import property_document
from search.engine import BulkItemResult, IndexOperation, SearchEngineError, get_engine
from search.index import (
    REFRESH_INTERVAL,
    building_alias,
    ensure_index,
    index_alias,
    index_body,
    new_index_name,
)

logger = logging.getLogger(__name__)

APPLIED = "applied"
STALE = "stale"  # the index already holds this version or a newer one


class SearchIndexingError(Exception):
    """The engine refused to store a document (not a version conflict)."""


class ReindexError(Exception):
    """A reindex could not complete; the live index was left as it was."""


class ReindexInProgress(ReindexError):
    pass


def _operations(alias: str, data: Mapping[str, Any]) -> list[IndexOperation]:
    document = property_document(data)
    doc_id, version = str(data["property_id"]), int(data["version"])
    # The building alias first: see "Reindex without losing events" above.
    return [
        IndexOperation(building_alias(alias), doc_id, document, version, require_alias=True),
        IndexOperation(alias, doc_id, document, version, require_alias=True),
    ]


def _failure(item: BulkItemResult) -> str:
    return f"{item.index}/{item.id}: HTTP {item.status} {item.error_type}: {item.reason}"


def property_document_apply(*, data: Mapping[str, Any], alias: str | None = None) -> str:
    """Index the state of one property (an event's `data`) behind `alias`, and
    behind its building alias if a reindex is running. Returns APPLIED, or STALE
    when the index already holds this version or a newer one.

    Runs inside the consumer's inbox transaction: if that transaction rolls back
    after this write, the event is redelivered and rewriting it is a no-op
    (same version), so the write need not wait for the commit; writing after
    the commit could lose it if the engine then failed.
    """
    alias = alias or index_alias()
    engine = get_engine()
    ensure_index(alias)
    operations = _operations(alias, data)
    building, live = engine.bulk_index(operations)
    if live.missing_index:
        # The alias was deleted under us (or the memo is stale): recreate it.
        ensure_index(alias, force=True)
        building, live = engine.bulk_index(operations)
    if not (live.ok or live.version_conflict):
        raise SearchIndexingError(_failure(live))
    if not (building.ok or building.version_conflict or building.missing_index):
        raise SearchIndexingError(_failure(building))
    outcome = APPLIED if live.ok else STALE
    logger.debug(
        "property indexed",
        extra={
            "property_id": data["property_id"],
            "version": data["version"],
            "status": data["status"],
            "outcome": outcome,
            "reindex_running": building.ok or building.version_conflict,
        },
    )
    return outcome


# -- reindex -----------------------------------------------------------------

REINDEX_BATCH_SIZE = 500
# After the swap, searches that resolved the alias to the old index a moment
# earlier are still running on it: wait this long before deleting it.
OLD_INDEX_GRACE_SECONDS = 2.0


@dataclass
class RebuildResult:
    alias: str
    index: str
    old_indices: list[str]
    deleted_indices: list[str] = field(default_factory=list)
    documents: int = 0  # export rows read
    stale: int = 0  # already newer in the new index (written by the consumer)
    count: int = 0  # listed properties searchable after the swap
    seconds: float = 0.0


def _lock_key(alias: str) -> int:
    digest = hashlib.blake2b(f"search-reindex:{alias}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def _reindex_lock(alias: str) -> Iterator[None]:
    """One reindex per alias at a time, across processes; released by
    PostgreSQL if the process dies."""
    key = _lock_key(alias)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::bigint)", [key])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise ReindexInProgress(f"another reindex of {alias!r} is running")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s::bigint)", [key])
        except DatabaseError:
            # The session is gone, and its lock with it.
            logger.warning("could not release the reindex lock", exc_info=True)


def _batches(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def property_index_rebuild(
    *,
    source: Iterable[Mapping[str, Any]],
    alias: str | None = None,
    keep_old: bool = False,
    batch_size: int = REINDEX_BATCH_SIZE,
    old_index_grace_seconds: float = OLD_INDEX_GRACE_SECONDS,
    progress: Callable[[RebuildResult], None] | None = None,
) -> RebuildResult:
    """Rebuild the index behind `alias` from `source` (every property in every
    status, as property_service's export yields them, e.g.
    `search.property_export.property_export_rows()`), with no moment where
    searches fail or events are lost (see the module docstring). On any
    failure the new index is deleted and the alias is left untouched.
    `progress` is called after each batch."""
    alias = alias or index_alias()
    engine = get_engine()
    started = time.monotonic()
    with _reindex_lock(alias):
        ensure_index(alias, force=True)
        building = building_alias(alias)
        for leftover in engine.alias_indices(building):
            # We hold the lock, so no reindex owns it: an interrupted run's index.
            logger.warning(
                "deleting the index of an interrupted reindex", extra={"index": leftover}
            )
            engine.delete_index(leftover)
        result = RebuildResult(
            alias=alias, index=new_index_name(alias), old_indices=engine.alias_indices(alias)
        )
        body = index_body(aliases={building: {}})
        # No periodic refresh while bulk loading; one refresh before the swap.
        body["settings"]["index"] = {**body["settings"]["index"], "refresh_interval": "-1"}
        engine.create_index(result.index, body)
        logger.info("reindex started", extra={"alias": alias, "index": result.index})
        try:
            for batch in _batches(source, batch_size):
                _index_batch(result, batch)
                if progress is not None:
                    progress(result)
            engine.put_index_settings(result.index, {"refresh_interval": REFRESH_INTERVAL})
            engine.refresh(result.index)
            engine.update_aliases(
                [
                    *({"remove": {"index": old, "alias": alias}} for old in result.old_indices),
                    {"add": {"index": result.index, "alias": alias}},
                    {"remove": {"index": result.index, "alias": building}},
                ]
            )
        except BaseException:
            # Also on KeyboardInterrupt: never leave a building index behind.
            _discard_unless_live(alias, result.index)
            raise
        result.count = engine.count(index=alias, body={"query": {"term": {"status": "listed"}}})
        if not keep_old and result.old_indices:
            time.sleep(old_index_grace_seconds)
            for old in result.old_indices:
                if engine.delete_index(old):
                    result.deleted_indices.append(old)
    result.seconds = time.monotonic() - started
    logger.info(
        "reindex done",
        extra={
            "alias": alias,
            "index": result.index,
            "documents": result.documents,
            "stale": result.stale,
            "count": result.count,
            "old_indices": result.old_indices,
            "seconds": round(result.seconds, 3),
        },
    )
    return result


# Export rows are documented as "exactly like the event data"; the updated
# event's schema accepts every status.
EXPORT_ROW_CONTRACT = "rentezy.property.updated.v1"


def _index_batch(result: RebuildResult, batch: list[Mapping[str, Any]]) -> None:
    for row in batch:
        try:
            validate_data(EXPORT_ROW_CONTRACT, row)
        except InvalidEvent as exc:
            raise ReindexError(
                f"export row {row.get('property_id')!r} breaks the property contract: {exc}"
            ) from exc
    operations = [
        IndexOperation(
            result.index, str(row["property_id"]), property_document(row), int(row["version"])
        )
        for row in batch
    ]
    items = get_engine().bulk_index(operations)
    failures = [item for item in items if not (item.ok or item.version_conflict)]
    if failures:
        raise ReindexError(
            f"{len(failures)} of {len(items)} documents refused, first: {_failure(failures[0])}"
        )
    result.documents += len(items)
    result.stale += sum(item.version_conflict for item in items)


def _discard_unless_live(alias: str, index: str) -> None:
    """Delete the unfinished index, unless the swap went through after all
    (a timeout on the `_aliases` request does not mean it was not applied)."""
    engine = get_engine()
    try:
        if index in engine.alias_indices(alias):
            logger.warning(
                "reindex failed after its swap; keeping the index", extra={"index": index}
            )
            return
        engine.delete_index(index)
    except SearchEngineError:
        # It keeps its building alias; the next reindex deletes it.
        logger.exception("could not delete the unfinished index", extra={"index": index})
    else:
        logger.warning("reindex failed; its index was deleted", extra={"index": index})
