"""GET /internal/properties/export: search_service's reindexing source."""

import uuid

import pytest
from django.conf import settings
from properties import services
from properties.events import property_document
from properties.models import Property
from rentezy_platform.trust import gateway_headers, internal_service_headers

from tests.conftest import make_property

pytestmark = pytest.mark.django_db

EXPORT = "/internal/properties/export"


def export(client, query: str = ""):
    path = f"{EXPORT}?{query}" if query else EXPORT
    return client.get(path, headers=internal_service_headers(method="GET", path_with_query=path))


def test_every_property_in_every_status_as_its_event_document(client, landlord, other_landlord):
    listed = make_property(landlord)
    draft = make_property(other_landlord, status="draft")
    archived = make_property(landlord)
    services.property_archive(property_id=archived.id, actor_id=landlord.user_id)

    response = export(client)

    assert response.status_code == 200
    expected = sorted(
        (Property.objects.get(pk=p.pk) for p in (listed, draft, archived)), key=lambda p: p.id
    )
    assert response.json() == {
        "results": [property_document(p) for p in expected],
        "next_after": None,
    }


def test_keyset_pages_cover_everything_once(client, landlord):
    for _ in range(7):
        make_property(landlord)
    ids = [str(i) for i in sorted(Property.objects.values_list("id", flat=True))]

    seen, after, pages = [], None, 0
    while True:
        response = export(client, f"limit=3&after={after}" if after else "limit=3")
        assert response.status_code == 200
        body = response.json()
        seen += [doc["property_id"] for doc in body["results"]]
        pages += 1
        if body["next_after"] is None:
            break
        assert body["next_after"] == body["results"][-1]["property_id"]
        after = body["next_after"]

    assert seen == ids
    assert pages == 3


def test_an_exactly_full_last_page_says_it_is_the_last(client, landlord):
    for _ in range(2):
        make_property(landlord)
    assert export(client, "limit=2").json()["next_after"] is None


def test_after_an_unknown_id_continues_from_where_it_would_sort(client, landlord):
    for _ in range(4):
        make_property(landlord)
    ids = sorted(Property.objects.values_list("id", flat=True))
    body = export(client, f"after={ids[1]}").json()
    assert [doc["property_id"] for doc in body["results"]] == [str(i) for i in ids[2:]]
    beyond = export(client, f"after={uuid.UUID(int=2**128 - 1)}").json()
    assert beyond == {"results": [], "next_after": None}


def test_the_default_limit_is_500(client, landlord):
    from properties.apis import EXPORT_DEFAULT_LIMIT

    assert EXPORT_DEFAULT_LIMIT == 500
    make_property(landlord)
    assert len(export(client).json()["results"]) == 1


def test_an_export_page_is_one_query(client, landlord, django_assert_num_queries):
    for _ in range(5):
        make_property(landlord)
    with django_assert_num_queries(1):
        assert len(export(client, "limit=1000").json()["results"]) == 5


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("after=nope", {"after": ["A property id (UUID) is required."]}),
        ("after=", {"after": ["A property id (UUID) is required."]}),
        ("limit=0", {"limit": ["An integer from 1 to 1000 is required."]}),
        ("limit=1001", {"limit": ["An integer from 1 to 1000 is required."]}),
        ("limit=-5", {"limit": ["An integer from 1 to 1000 is required."]}),
        ("limit=ten", {"limit": ["An integer from 1 to 1000 is required."]}),
        ("limit=", {"limit": ["An integer from 1 to 1000 is required."]}),
        (
            "after=x&limit=x",
            {
                "after": ["A property id (UUID) is required."],
                "limit": ["An integer from 1 to 1000 is required."],
            },
        ),
    ],
)
def test_bad_parameters_are_400(client, query, fields):
    response = export(client, query)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "Invalid input.", "fields": fields}


def test_a_user_identity_is_403(client, landlord):
    headers = gateway_headers(
        key=settings.GATEWAY_SIGNING_KEY,
        method="GET",
        path_with_query=EXPORT,
        user_id=landlord.user_id,
        role="landlord",
    )
    response = client.get(EXPORT, headers=headers)
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "Only RentEzy services may call this route.",
    }


def test_an_anonymous_signed_call_is_401(client):
    headers = gateway_headers(
        key=settings.GATEWAY_SIGNING_KEY, method="GET", path_with_query=EXPORT
    )
    assert client.get(EXPORT, headers=headers).status_code == 401


def test_an_unsigned_call_is_401(client):
    response = client.get(EXPORT)
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "Missing gateway signature."}
