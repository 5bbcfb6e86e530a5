"""Reads of the search index."""

from __future__ import annotations

from search.engine import IndexNotFound, get_engine
from search.index import ensure_index, index_alias
from search.query import SearchPage, SearchParams, build_search_body, parse_search_response


def property_search(*, params: SearchParams, alias: str | None = None) -> SearchPage:
    """One page of listed properties matching `params`, with the total count and
    the facets of the whole match. Raises `SearchUnavailable` if the engine is down."""
    alias = alias or index_alias()
    body = build_search_body(params)
    engine = get_engine()
    try:
        answer = engine.search(index=alias, body=body)
    except IndexNotFound:
        # Nothing indexed yet (or the index was deleted): create it empty, ask again.
        ensure_index(alias, force=True)
        answer = engine.search(index=alias, body=body)
    return parse_search_response(answer)
