"""The Elasticsearch backend of search/engine.py (SEARCH_ENGINE=elasticsearch).

There is no Elasticsearch in the native stack, so these tests run the real
elasticsearch-py client against the real OpenSearch node through a small proxy
that does what a genuine Elasticsearch would on the wire: it accepts the
client's versioned media types (`application/vnd.elasticsearch+json;
compatible-with=9`) and answers with the `X-Elastic-Product` header the client
insists on. Everything else (requests, bodies, errors) is the engine's own.
What this cannot prove is Elasticsearch-specific behaviour of the mapping or
queries; Docker Compose runs the real thing.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from search.engine import (
    ElasticsearchEngine,
    IndexAlreadyExists,
    IndexNotFound,
    IndexOperation,
    SearchUnavailable,
    get_engine,
    reset_engines,
)
from search.index import delete_indices, ensure_index, refresh_index
from search.query import SearchParams
from search.selectors import property_search
from search.services import APPLIED, STALE, property_document_apply, property_index_rebuild

from tests.conftest import next_version, property_data, unique_alias


class ElasticsearchLookalike:
    """Forwards to the engine at `target`, translating what ES clients expect."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname, parts.port or 9200)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        target = self.target

        def plain(media_type: str | None) -> str | None:
            if media_type and "vnd.elasticsearch+" in media_type:
                kind = media_type.split("vnd.elasticsearch+", 1)[1].split(";", 1)[0]
                return f"application/{kind}"
            return media_type

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {"Accept": "application/json"}
                if self.headers.get("Content-Type"):
                    headers["Content-Type"] = plain(self.headers["Content-Type"])
                connection = http.client.HTTPConnection(*target, timeout=30)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                finally:
                    connection.close()
                self.send_response(response.status)
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header(
                    "Content-Type", response.getheader("Content-Type", "application/json")
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        return Handler


@pytest.fixture
def elasticsearch(settings) -> Iterator[str]:
    proxy = ElasticsearchLookalike(settings.SEARCH_URL)
    proxy.start()
    settings.SEARCH_ENGINE = "elasticsearch"
    settings.SEARCH_URL = proxy.url
    alias = unique_alias()
    settings.SEARCH_INDEX_ALIAS = alias
    try:
        yield alias
        delete_indices(alias)
    finally:
        reset_engines()
        proxy.stop()


def test_the_elasticsearch_client_is_used(elasticsearch):
    engine = get_engine()
    assert isinstance(engine, ElasticsearchEngine)
    assert engine.url == settings.SEARCH_URL


def test_operations_and_errors(elasticsearch):
    engine = get_engine()
    alias = elasticsearch
    ensure_index(alias)
    initial = f"{alias}-initial"
    assert engine.alias_indices(alias) == [initial]
    assert engine.index_exists(initial) is True
    assert engine.index_exists(f"{alias}-nope") is False
    assert engine.indices(f"{alias}*") == {initial: [alias]}
    assert engine.index_definition(initial)["mappings"]["dynamic"] == "strict"
    with pytest.raises(IndexAlreadyExists):
        engine.create_index(initial, {})
    with pytest.raises(IndexNotFound):
        engine.search(index=f"{alias}-nope", body={})
    items = engine.bulk_index(
        [
            IndexOperation(alias, "a", {"id": "a", "status": "draft", "version": 2}, 2, True),
            IndexOperation(alias, "a", {"id": "a", "status": "draft", "version": 1}, 1, True),
            IndexOperation(f"{alias}-building", "a", {"id": "a"}, 2, True),
        ],
        refresh=True,
    )
    assert [(i.ok, i.version_conflict, i.missing_index) for i in items] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert engine.get_document(index=alias, id="a")["_version"] == 2
    assert engine.get_document(index=alias, id="b") is None
    assert engine.count(index=alias) == 1
    engine.put_index_settings(initial, {"refresh_interval": "2s"})
    assert engine.delete_index(f"{alias}-nope") is False


def test_events_search_and_reindex(elasticsearch, db):
    data = property_data(title="Canal house", city="Amsterdam")
    assert property_document_apply(data=data) == APPLIED
    assert property_document_apply(data=data) == STALE
    refresh_index()
    page = property_search(params=SearchParams(q="canal hous", city="amsterdam"))
    assert [r["title"] for r in page.results] == ["Canal house"]
    assert page.facets["city"][0].value == "Amsterdam"
    result = property_index_rebuild(
        source=[next_version(data, title="Canal loft")], old_index_grace_seconds=0
    )
    assert get_engine().alias_indices(elasticsearch) == [result.index]
    assert [r["title"] for r in property_search(params=SearchParams()).results] == ["Canal loft"]


def test_unreachable_elasticsearch_is_unavailable(settings):
    settings.SEARCH_ENGINE = "elasticsearch"
    settings.SEARCH_URL = "http://127.0.0.1:9"
    settings.SEARCH_MAX_RETRIES = 0
    try:
        with pytest.raises(SearchUnavailable):
            get_engine().search(index="x", body={})
    finally:
        reset_engines()


def test_a_server_that_is_not_elasticsearch_is_unavailable(settings):
    settings.SEARCH_ENGINE = "elasticsearch"  # but SEARCH_URL is OpenSearch itself
    try:
        with pytest.raises(SearchUnavailable, match="not an Elasticsearch server"):
            get_engine().count(index="*")
    finally:
        reset_engines()
