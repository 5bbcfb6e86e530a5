"""property_service's export: every property in every status, for a reindex.

`GET {PROPERTY_SERVICE_URL}/internal/properties/export?after=<uuid>&limit=500`,
signed as a service call (rentezy_platform.trust.internal_service_headers),
answers `{"results": [<full property document, like an event's data>],
"next_after": "<uuid>" | null}` ordered by id. `property_export_rows()` walks
the pages; `property_index_rebuild` takes any iterable of such rows, so tests
feed it rows directly.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from rentezy_platform.trust import internal_service_headers

logger = logging.getLogger(__name__)

EXPORT_PATH = "/internal/properties/export"
EXPORT_PAGE_SIZE = 500
EXPORT_TIMEOUT_SECONDS = 30.0
EXPORT_ATTEMPTS = 4


class PropertyExportError(Exception):
    """The export could not be read (property_service down or refusing)."""


def export_path(*, after: str | None, limit: int) -> str:
    query = {"after": after, "limit": limit} if after else {"limit": limit}
    return f"{EXPORT_PATH}?{urlencode(query)}"


def _fetch_page(base_url: str, path: str, *, timeout: float) -> dict[str, Any]:
    # Signed per attempt: a signature is valid for 60 s only.
    request = urllib.request.Request(
        base_url.rstrip("/") + path,
        headers={
            "Accept": "application/json",
            **internal_service_headers(method="GET", path_with_query=path),
        },
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def property_export_rows(
    *,
    base_url: str | None = None,
    limit: int = EXPORT_PAGE_SIZE,
    timeout: float = EXPORT_TIMEOUT_SECONDS,
    attempts: int = EXPORT_ATTEMPTS,
    backoff: float = 0.5,
) -> Iterator[dict[str, Any]]:
    """Every property from property_service's export, page by page (lazily).
    A page that fails with a network error or a 5xx is retried with backoff;
    a 4xx, a malformed page or too many failures raise PropertyExportError."""
    base_url = base_url or settings.PROPERTY_SERVICE_URL
    after: str | None = None
    while True:
        path = export_path(after=after, limit=limit)
        for attempt in range(1, attempts + 1):
            try:
                page = _fetch_page(base_url, path, timeout=timeout)
                break
            except urllib.error.HTTPError as exc:
                if exc.code < 500 or attempt == attempts:
                    raise PropertyExportError(f"GET {path}: HTTP {exc.code}") from exc
                error: Exception = exc
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                if attempt == attempts:
                    raise PropertyExportError(f"GET {path}: {exc}") from exc
                error = exc
            except ValueError as exc:  # not JSON
                raise PropertyExportError(f"GET {path}: malformed page: {exc}") from exc
            logger.warning(
                "property export page failed, retrying",
                extra={"path": path, "attempt": attempt, "error": str(error)},
            )
            time.sleep(backoff * 2 ** (attempt - 1))
        results, next_after = page.get("results"), page.get("next_after")
        if not isinstance(results, list) or not (next_after is None or isinstance(next_after, str)):
            raise PropertyExportError(f"GET {path}: malformed page (no results/next_after)")
        yield from results
        if next_after is None:
            return
        if next_after == after:
            raise PropertyExportError(f"GET {path}: next_after did not advance")
        after = next_after
