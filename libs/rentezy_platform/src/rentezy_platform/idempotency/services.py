"""`idempotent(request, run)`: the Idempotency-Key rules of the public API.

A client that may retry a POST (a dropped connection, a timeout) sends an
`Idempotency-Key` header (1-255 visible ASCII characters, e.g. a UUID it
generated). The first request with a key runs and its response (status and
body, byte for byte) is stored for the caller; any later request of the same
user with that key gets that response again, with `Idempotent-Replayed: true`,
and runs nothing. The same key with another request (method, path or body) is a
422 `idempotency_key_reused`. Keys are per user: two users never share one.

What is stored is what the operation decided: its success, or the domain
error it raised (`slot_full`, `already_booked`...): a retry learns the same
outcome, as with Stripe. Input refused before the operation ran (the view's
400) and failures (a 5xx, the database down) store nothing, so a retry runs
again.

Concurrency: the record is inserted first, in the transaction of the
operation. A concurrent request with the same key blocks on the unique index
until the first transaction ends: then it replays the committed response, or,
if the first rolled back, runs itself. So two racing retries never both run.
Records are kept `IDEMPOTENCY_TTL` (24 h; `idempotency_prune`).

An operation that calls another system (Stripe) must not run inside a
database transaction: `idempotent(request, run, external=True)` commits the
record first as "in progress" (status 0), runs the operation outside any
transaction, then stores its response. A concurrent request with the same key
meanwhile gets 409 `request_in_progress`, as Stripe answers
its own concurrent retries; a record left in progress by a crashed process is
taken over after IN_PROGRESS_TIMEOUT, so the operation itself must be safe to
run again (rent_service's payments are: one attempt per invoice at a time).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from rentezy_platform.errors import ApplicationError, InvalidInput, error_body, flatten_fields
from rentezy_platform.idempotency.models import KEY_MAX_LENGTH, IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_TTL = timedelta(hours=24)
_KEY = re.compile(rf"[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}")
CONTENT_TYPE = "application/json"


class IdempotencyKeyReused(ApplicationError):
    default_code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was already used with a different request; "
        "use a new key for a new request."
    )
    default_status = 422


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key, None without one; 400 for a malformed one."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            fields={
                HEADER: [
                    f"Use 1 to {KEY_MAX_LENGTH} visible ASCII characters (a UUID, for example)."
                ]
            }
        )
    return key


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{request.method}\n{request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


class RequestInProgress(ApplicationError):
    default_code = "request_in_progress"
    default_message = (
        "A request with this Idempotency-Key is still being processed; retry in a moment."
    )
    default_status = 409


IN_PROGRESS = 0
IN_PROGRESS_TIMEOUT = timedelta(seconds=60)


def _rendered(status: int, data: object) -> HttpResponse:
    return HttpResponse(JSONRenderer().render(data), status=status, content_type=CONTENT_TYPE)


def _run_and_render(run: Callable[[], Response]) -> HttpResponse:
    try:
        result = run()
        return _rendered(result.status_code, result.data)
    except ApplicationError as exc:
        fields = flatten_fields(exc.fields) if exc.fields is not None else None
        return _rendered(exc.status, error_body(exc.code, exc.message, fields))


def _replay(stored: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(stored.body, status=stored.status_code, content_type=CONTENT_TYPE)
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(
    request: Request, run: Callable[[], Response], *, external: bool = False
) -> HttpResponse:
    """`run()` (a view's call of its service, returning its Response) under the
    request's Idempotency-Key, if it has one; see the module doc."""
    key = idempotency_key(request)
    if key is None:
        return run()
    if external:
        return _idempotent_external(request, run, key)
    user_id = request.user.user_id
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user_id=user_id, key=key, fingerprint=fingerprint, status_code=0, body=""
                )
        except IntegrityError:
            record = None
        if record is not None:
            response = _run_and_render(run)
            record.status_code = response.status_code
            record.body = response.content.decode()
            record.save(update_fields=["status_code", "body"])
            return response
    # The key was used before; its transaction has ended (the INSERT waited for it).
    stored = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if stored is None:  # pruned between the two statements: run it as a new request
        return idempotent(request, run)
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return _replay(stored)


def _idempotent_external(request: Request, run: Callable[[], Response], key: str) -> HttpResponse:
    """`external=True`: the record is committed as in progress, the operation
    runs outside any transaction, then its response is stored."""
    user_id = request.user.user_id
    fingerprint = _fingerprint(request)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user_id=user_id, key=key, fingerprint=fingerprint, status_code=IN_PROGRESS, body=""
            )
    except IntegrityError:
        stored = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if stored is None:  # pruned meanwhile
            return _idempotent_external(request, run, key)
        if stored.fingerprint != fingerprint:
            raise IdempotencyKeyReused() from None
        if stored.status_code != IN_PROGRESS:
            return _replay(stored)
        # Still in progress: another request is running it, or one that
        # crashed left it; take it over once it is old enough.
        taken = IdempotencyRecord.objects.filter(
            pk=stored.pk,
            status_code=IN_PROGRESS,
            created_at__lt=timezone.now() - IN_PROGRESS_TIMEOUT,
        ).update(created_at=timezone.now())
        if not taken:
            raise RequestInProgress() from None
        record = stored
    try:
        response = _run_and_render(run)
    except BaseException:
        # A failure (5xx, database down) stores nothing: a retry runs again.
        IdempotencyRecord.objects.filter(pk=record.pk, status_code=IN_PROGRESS).delete()
        raise
    if response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, body=response.content.decode()
    )
    return response


def idempotency_prune(*, older_than: timedelta = IDEMPOTENCY_TTL) -> int:
    """Forget the responses stored more than `older_than` ago; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
