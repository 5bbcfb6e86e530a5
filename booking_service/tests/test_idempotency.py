"""rentezy_platform.idempotency, directly: key validation, the request
fingerprint, and `idempotent()` around a service call (its database parts on
real PostgreSQL; booking_service installs the app)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from rentezy_platform.errors import Conflict, InvalidInput
from rentezy_platform.idempotency import services as idempotency
from rentezy_platform.idempotency.models import IdempotencyRecord
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

USER = str(uuid.uuid4())


def drf_request(
    body: object = None,
    *,
    key: str | None = None,
    path: str = "/api/bookings",
    method: str = "post",
    user_id: str = USER,
) -> Request:
    headers = {} if key is None else {"Idempotency-Key": key}
    django_request = getattr(APIRequestFactory(), method)(
        path, body if body is not None else {}, format="json", headers=headers
    )
    request = Request(django_request, parsers=[JSONParser()])
    request.user = SimpleNamespace(user_id=user_id, is_authenticated=True)
    return request


# --- the key ------------------------------------------------------------------------


def test_no_header_is_no_key():
    assert idempotency.idempotency_key(drf_request()) is None


@pytest.mark.parametrize("key", ["a", "~" * 255, str(uuid.uuid4()), "!#$%&'*+-.^_`|"])
def test_visible_ascii_keys_of_1_to_255_characters_are_accepted(key):
    assert idempotency.idempotency_key(drf_request(key=key)) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "with space", "tab\tkey", "\x7f"])
def test_other_keys_are_400(key):
    with pytest.raises(InvalidInput) as info:
        idempotency.idempotency_key(drf_request(key=key))
    assert info.value.fields == {
        "Idempotency-Key": ["Use 1 to 255 visible ASCII characters (a UUID, for example)."]
    }


# --- the fingerprint ----------------------------------------------------------------


def test_the_fingerprint_ignores_key_order_and_spacing():
    first = drf_request({"a": 1, "b": [1, 2]})
    second = drf_request({"b": [1, 2], "a": 1})
    assert idempotency._fingerprint(first) == idempotency._fingerprint(second)
    assert len(idempotency._fingerprint(first)) == 64


@pytest.mark.parametrize(
    "other",
    [
        {"body": {"a": 2}},
        {"body": {"a": "1"}},
        {"body": {"a": 1, "b": None}},
        {"body": {"a": 1}, "path": "/api/bookings/rentals"},
        {"body": {"a": 1}, "path": "/api/bookings?x=1"},
        {"body": {"a": 1}, "method": "put"},
    ],
)
def test_any_other_method_path_or_body_changes_the_fingerprint(other):
    base = idempotency._fingerprint(drf_request({"a": 1}))
    changed = drf_request(other["body"], path=other.get("path", "/api/bookings"))
    if "method" in other:
        changed = drf_request(other["body"], method=other["method"])
    assert idempotency._fingerprint(changed) != base


# --- idempotent() -------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_key_every_call_runs():
    runs = []

    def run():
        runs.append(1)
        return Response({"n": len(runs)}, status=201)

    assert idempotency.idempotent(drf_request({"a": 1}), run).data == {"n": 1}
    assert idempotency.idempotent(drf_request({"a": 1}), run).data == {"n": 2}
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_the_first_response_is_stored_and_replayed():
    runs = []

    def run():
        runs.append(1)
        return Response({"id": "x", "n": len(runs)}, status=201)

    first = idempotency.idempotent(drf_request({"a": 1}, key="k"), run)
    replay = idempotency.idempotent(drf_request({"a": 1}, key="k"), run)

    assert (first.status_code, first.content) == (201, b'{"id":"x","n":1}')
    assert (replay.status_code, replay.content) == (201, first.content)
    assert replay["Idempotent-Replayed"] == "true"
    assert runs == [1]
    record = IdempotencyRecord.objects.get()
    assert (str(record.user_id), record.key, record.status_code) == (USER, "k", 201)


@pytest.mark.django_db
def test_a_domain_error_is_stored_and_replayed():
    def run():
        raise Conflict(code="slot_full", message="Full.")

    first = idempotency.idempotent(drf_request({"a": 1}, key="k"), run)
    replay = idempotency.idempotent(drf_request({"a": 1}, key="k"), lambda: Response({}, 201))

    assert (first.status_code, first.content) == (409, b'{"code":"slot_full","message":"Full."}')
    assert (replay.status_code, replay.content) == (409, first.content)


@pytest.mark.django_db
def test_a_failure_stores_nothing_so_a_retry_runs():
    def crash():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        idempotency.idempotent(drf_request({"a": 1}, key="k"), crash)
    assert IdempotencyRecord.objects.count() == 0

    retry = idempotency.idempotent(drf_request({"a": 1}, key="k"), lambda: Response({}, 201))
    assert retry.status_code == 201
    assert retry.get("Idempotent-Replayed") is None


@pytest.mark.django_db
def test_another_request_under_the_same_key_is_422():
    idempotency.idempotent(drf_request({"a": 1}, key="k"), lambda: Response({}, 201))
    with pytest.raises(idempotency.IdempotencyKeyReused) as info:
        idempotency.idempotent(drf_request({"a": 2}, key="k"), lambda: Response({}, 201))
    assert (info.value.status, info.value.code) == (422, "idempotency_key_reused")


@pytest.mark.django_db
def test_keys_are_per_user():
    other = str(uuid.uuid4())
    idempotency.idempotent(drf_request({"a": 1}, key="k"), lambda: Response({"u": 1}, 201))
    response = idempotency.idempotent(
        drf_request({"a": 2}, key="k", user_id=other), lambda: Response({"u": 2}, 201)
    )
    assert (response.status_code, response.content) == (201, b'{"u":2}')
    assert IdempotencyRecord.objects.count() == 2


@pytest.mark.django_db
def test_pruning_forgets_old_responses_only():
    idempotency.idempotent(drf_request({"a": 1}, key="old"), lambda: Response({}, 201))
    idempotency.idempotent(drf_request({"a": 1}, key="new"), lambda: Response({}, 201))
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=IdempotencyRecord.objects.get(key="old").created_at - timedelta(hours=25)
    )

    assert idempotency.idempotency_prune() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    # A pruned key is a new key again.
    again = idempotency.idempotent(drf_request({"a": 9}, key="old"), lambda: Response({}, 201))
    assert again.get("Idempotent-Replayed") is None
