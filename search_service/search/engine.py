"""One thin adapter over the search engine: OpenSearch or Elasticsearch.

The rest of the service calls `get_engine()` and the few operations below; it
never imports a client library. Both backends take the same keyword calls
(`index=`, `body=`); they differ in how the client is built and in their
exception classes, which are translated here into four of our own:

- `SearchUnavailable`: the engine cannot be reached, timed out, is overloaded
  (429) or failing (5xx), or refuses our credentials. The API answers 503.
- `IndexNotFound`: the index or alias does not exist.
- `IndexAlreadyExists`: a racing creator won (`resource_already_exists`).
- `SearchEngineError`: anything else (a bug in a request we built).

One client per process and configuration (engine, URL, timeout, retries): it
keeps a connection pool, so requests reuse connections. Changing the settings
(as tests do with override_settings) simply selects another client;
`reset_engines()` drops them all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings


class SearchEngineError(Exception):
    """The engine refused a request for a reason other than being down."""

    def __init__(self, message: str, *, status: int | None = None, error_type: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


class SearchUnavailable(SearchEngineError):
    """The engine does not answer, or answers that it cannot serve now."""


class IndexNotFound(SearchEngineError):
    pass


class IndexAlreadyExists(SearchEngineError):
    pass


# HTTP statuses meaning "not now", not "your request is wrong".
_UNAVAILABLE_STATUSES = frozenset({401, 403, 408, 429, 500, 502, 503, 504})
_NOT_FOUND_TYPES = frozenset({"index_not_found_exception"})
_ALREADY_EXISTS_TYPES = frozenset({"resource_already_exists_exception"})


def _classify(message: str, *, status: int | None, error_type: str) -> SearchEngineError:
    if status in _UNAVAILABLE_STATUSES:
        return SearchUnavailable(message, status=status, error_type=error_type)
    if status == 404 and error_type in _NOT_FOUND_TYPES:
        return IndexNotFound(message, status=status, error_type=error_type)
    if status == 400 and error_type in _ALREADY_EXISTS_TYPES:
        return IndexAlreadyExists(message, status=status, error_type=error_type)
    return SearchEngineError(message, status=status, error_type=error_type)


@dataclass(frozen=True, slots=True)
class IndexOperation:
    """One document to index with an external version (bulk item)."""

    index: str
    id: str
    document: Mapping[str, Any]
    version: int
    # Refuse to write unless `index` is an alias (so a write to an alias that
    # vanished never auto-creates an index of that name).
    require_alias: bool = False


@dataclass(frozen=True, slots=True)
class BulkItemResult:
    id: str
    index: str
    status: int
    error_type: str = ""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status < 300

    @property
    def version_conflict(self) -> bool:
        """The engine holds this or a newer version already."""
        return self.status == 409

    @property
    def missing_index(self) -> bool:
        """The target alias or index does not exist."""
        return self.status == 404 and self.error_type in _NOT_FOUND_TYPES


class SearchEngine:
    """The operations search_service needs, over a client of either engine."""

    name = ""

    def __init__(self, *, url: str, timeout: float, max_retries: int) -> None:
        self.url = url
        self._client = self._connect(url=url, timeout=timeout, max_retries=max_retries)

    # -- backend specifics -------------------------------------------------

    def _connect(self, *, url: str, timeout: float, max_retries: int) -> Any:
        raise NotImplementedError

    def _translate(self, exc: Exception) -> SearchEngineError | None:
        """Our exception for a client exception, or None if it is not the client's."""
        raise NotImplementedError

    @staticmethod
    def _body(response: Any) -> Any:
        # Elasticsearch wraps responses in ObjectApiResponse; OpenSearch returns dicts.
        return getattr(response, "body", response)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except SearchEngineError:
            raise
        except Exception as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc

    def _call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        with self._errors():
            return self._body(method(**kwargs))

    # -- indices and aliases ----------------------------------------------

    def create_index(self, name: str, body: Mapping[str, Any]) -> None:
        self._call(self._client.indices.create, index=name, body=dict(body))

    def delete_index(self, name: str) -> bool:
        """Delete an index (not an alias); False if it did not exist."""
        try:
            self._call(self._client.indices.delete, index=name)
        except IndexNotFound:
            return False
        return True

    def index_exists(self, name: str) -> bool:
        with self._errors():
            return bool(self._client.indices.exists(index=name))

    def index_definition(self, name: str) -> dict[str, Any]:
        """`{"aliases", "mappings", "settings"}` of one index."""
        return self._call(self._client.indices.get, index=name)[name]

    def alias_indices(self, alias: str) -> list[str]:
        """The indices behind `alias`, sorted; [] if the alias does not exist."""
        try:
            answer = self._call(self._client.indices.get_alias, name=alias)
        except IndexNotFound:
            return []
        except SearchEngineError as exc:
            if exc.status == 404:  # "alias [x] missing" carries no error type
                return []
            raise
        return sorted(answer)

    def indices(self, pattern: str) -> dict[str, list[str]]:
        """Every index matching `pattern` with the aliases it carries."""
        try:
            answer = self._call(self._client.indices.get_alias, index=pattern)
        except IndexNotFound:
            return {}
        return {name: sorted(info.get("aliases", {})) for name, info in sorted(answer.items())}

    def update_aliases(self, actions: Sequence[Mapping[str, Any]]) -> None:
        """Apply alias actions atomically (one `_aliases` request)."""
        self._call(self._client.indices.update_aliases, body={"actions": list(actions)})

    def put_index_settings(self, name: str, index_settings: Mapping[str, Any]) -> None:
        self._call(
            self._client.indices.put_settings, index=name, body={"index": dict(index_settings)}
        )

    def refresh(self, name: str) -> None:
        self._call(self._client.indices.refresh, index=name)

    # -- documents ---------------------------------------------------------

    def bulk_index(
        self, operations: Sequence[IndexOperation], *, refresh: bool = False
    ) -> list[BulkItemResult]:
        """Index documents with external versions in one request; one result per
        operation, in order. Item failures are results, not exceptions."""
        if not operations:
            return []
        body: list[Mapping[str, Any]] = []
        for op in operations:
            action: dict[str, Any] = {
                "_index": op.index,
                "_id": op.id,
                "version": op.version,
                "version_type": "external",
            }
            if op.require_alias:
                action["require_alias"] = True
            body += [{"index": action}, op.document]
        kwargs: dict[str, Any] = {"body": body}
        if refresh:
            kwargs["refresh"] = "true"
        answer = self._call(self._client.bulk, **kwargs)
        results = []
        for op, item in zip(operations, answer["items"], strict=True):
            outcome = item["index"]
            error = outcome.get("error") or {}
            results.append(
                BulkItemResult(
                    id=op.id,
                    index=outcome.get("_index", op.index),
                    status=int(outcome["status"]),
                    error_type=error.get("type", "") if isinstance(error, dict) else "",
                    reason=(error.get("reason", "") if isinstance(error, dict) else str(error)),
                )
            )
        return results

    def get_document(self, *, index: str, id: str) -> dict[str, Any] | None:
        """`{"_version": ..., "_source": {...}}` of a document, None if absent."""
        try:
            answer = self._call(self._client.get, index=index, id=id)
        except SearchEngineError as exc:
            if exc.status == 404 and not isinstance(exc, IndexNotFound):
                return None
            raise
        return {
            "_index": answer["_index"],
            "_version": answer["_version"],
            "_source": answer["_source"],
        }

    # -- queries -----------------------------------------------------------

    def search(self, *, index: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._call(self._client.search, index=index, body=dict(body))

    def count(self, *, index: str, body: Mapping[str, Any] | None = None) -> int:
        kwargs: dict[str, Any] = {"index": index}
        if body is not None:
            kwargs["body"] = dict(body)
        return int(self._call(self._client.count, **kwargs)["count"])

    def close(self) -> None:
        self._client.close()


class OpenSearchEngine(SearchEngine):
    name = "opensearch"

    def _connect(self, *, url: str, timeout: float, max_retries: int) -> Any:
        from opensearchpy import OpenSearch

        return OpenSearch(
            hosts=[url],
            timeout=timeout,
            max_retries=max_retries,
            retry_on_timeout=True,
            # gunicorn gthread workers share the client across their threads.
            maxsize=16,
        )

    def _translate(self, exc: Exception) -> SearchEngineError | None:
        from opensearchpy import exceptions as os_exc

        if isinstance(exc, os_exc.ConnectionError):  # also timeouts and TLS errors
            return SearchUnavailable(f"search engine unreachable: {exc}")
        if isinstance(exc, os_exc.TransportError):
            status = exc.status_code if isinstance(exc.status_code, int) else None
            error_type = exc.error if isinstance(exc.error, str) else ""
            return _classify(str(exc), status=status, error_type=error_type)
        if isinstance(exc, os_exc.OpenSearchException):
            return SearchEngineError(str(exc))
        return None


class ElasticsearchEngine(SearchEngine):
    name = "elasticsearch"

    def _connect(self, *, url: str, timeout: float, max_retries: int) -> Any:
        from elasticsearch import Elasticsearch

        return Elasticsearch(
            url,
            request_timeout=timeout,
            max_retries=max_retries,
            retry_on_timeout=True,
            connections_per_node=16,
        )

    def _translate(self, exc: Exception) -> SearchEngineError | None:
        import elastic_transport
        from elasticsearch import ApiError, UnsupportedProductError

        if isinstance(exc, UnsupportedProductError):
            # SEARCH_ENGINE=elasticsearch pointed at something else.
            return SearchUnavailable(f"not an Elasticsearch server: {exc}")
        if isinstance(exc, ApiError):
            return _classify(str(exc), status=exc.meta.status, error_type=exc.error or "")
        if isinstance(exc, elastic_transport.TransportError):  # connection errors, timeouts
            return SearchUnavailable(f"search engine unreachable: {exc}")
        return None


ENGINE_CLASSES: dict[str, type[SearchEngine]] = {
    OpenSearchEngine.name: OpenSearchEngine,
    ElasticsearchEngine.name: ElasticsearchEngine,
}

_engines: dict[tuple[str, str, float, int], SearchEngine] = {}
_engines_lock = threading.Lock()


def get_engine() -> SearchEngine:
    """The process-wide engine of the current settings (SEARCH_ENGINE, SEARCH_URL)."""
    key = (
        settings.SEARCH_ENGINE,
        settings.SEARCH_URL,
        float(settings.SEARCH_TIMEOUT),
        int(settings.SEARCH_MAX_RETRIES),
    )
    engine = _engines.get(key)
    if engine is None:
        with _engines_lock:
            engine = _engines.get(key)
            if engine is None:
                engine_class = ENGINE_CLASSES[key[0]]
                engine = engine_class(url=key[1], timeout=key[2], max_retries=key[3])
                _engines[key] = engine
    return engine


def reset_engines() -> None:
    """Close and forget every client (tests; after a fork)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.close()
