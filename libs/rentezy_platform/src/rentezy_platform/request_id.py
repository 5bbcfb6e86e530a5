"""Request ids: one id follows a request through the gateway, every service and
their logs. A caller's `X-Request-ID` is kept when it is sane, otherwise a fresh
one is made; every response echoes it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

REQUEST_ID_HEADER = "X-Request-ID"

# Anything else could smuggle newlines or markup into logs and headers.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_request_id: ContextVar[str | None] = ContextVar("rentezy_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The request id of the work being done in this context, if any."""
    return _request_id.get()


def sanitize_request_id(value: str | None) -> str | None:
    """`value` if it is an acceptable request id, else None."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


@contextmanager
def bind_request_id(value: str | None) -> Iterator[str]:
    """Run a block under a request id (a consumer handling an event, a task):
    the given one when sane, else a new one. Logs inside carry it."""
    request_id = sanitize_request_id(value) or new_request_id()
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


class RequestIdMiddleware:
    """First middleware: everything after it, logs included, sees the id.

    Sync and async capable so the ASGI services do not pay a thread hop for it."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self._is_async:
            return self.__acall__(request)
        with bind_request_id(request.headers.get(REQUEST_ID_HEADER)) as request_id:
            request.request_id = request_id
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            return response

    async def __acall__(self, request):
        with bind_request_id(request.headers.get(REQUEST_ID_HEADER)) as request_id:
            request.request_id = request_id
            response = await self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            return response
