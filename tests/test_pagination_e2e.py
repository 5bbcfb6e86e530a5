"""Issue 8, point 5: page links are public URLs. `next` and `previous` start
with PUBLIC_BASE_URL (the gateway the client called), never the upstream
address the service was called on, and following them through the gateway
gives the next page exactly. (The old links were http://127.0.0.1:<service
port>/..., which bypass the gateway and its signature: 401 there.)"""

from __future__ import annotations

import time

import pytest
from support import property_body
from test_property_search_e2e import wait_for_search

pytestmark = pytest.mark.services("auth", "property", "search")


def test_property_list_links_follow_through_the_gateway(platform, gw, make_account):
    landlord = make_account("landlord")
    made = []
    for n in range(5):
        response = gw.post(
            "/api/properties", json=property_body(title=f"Page flat {n}"), headers=landlord.headers
        )
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    newest_first = list(reversed(made))
    public = platform.env["PUBLIC_BASE_URL"]
    assert public == platform.gateway

    first = gw.get("/api/properties?owner=me&page_size=2", headers=landlord.headers).json()
    assert first["count"] == 5
    assert [p["id"] for p in first["results"]] == newest_first[:2]
    assert first["previous"] is None
    assert first["next"] == f"{public}/api/properties?owner=me&page=2&page_size=2"

    second = gw.get(first["next"], headers=landlord.headers).json()
    assert [p["id"] for p in second["results"]] == newest_first[2:4]
    assert second["previous"] == f"{public}/api/properties?owner=me&page_size=2"
    third = gw.get(second["next"], headers=landlord.headers).json()
    assert [p["id"] for p in third["results"]] == newest_first[4:]
    assert third["next"] is None
    back = gw.get(third["previous"], headers=landlord.headers).json()
    assert back == second


def test_search_links_follow_through_the_gateway(platform, gw, make_account):
    landlord = make_account("landlord")
    word = f"pagelink{int(time.time() * 1000)}"
    rents = ["1100.00", "1200.00", "1300.00"]
    for rent in rents:
        response = gw.post(
            "/api/properties",
            json=property_body(title=f"Flat {word}", monthly_rent=rent),
            headers=landlord.headers,
        )
        assert response.status_code == 201, response.text
    wait_for_search(gw, lambda body: body["count"] == 3, q=word)
    public = platform.env["PUBLIC_BASE_URL"]

    first = gw.get(f"/api/search/properties?q={word}&sort=price_asc&page_size=2").json()
    assert [hit["monthly_rent"] for hit in first["results"]] == rents[:2]
    assert first["next"] == (
        f"{public}/api/search/properties?page=2&page_size=2&q={word}&sort=price_asc"
    )
    second = gw.get(first["next"]).json()
    assert [hit["monthly_rent"] for hit in second["results"]] == rents[2:]
    assert second["next"] is None
    assert (
        second["previous"] == f"{public}/api/search/properties?page_size=2&q={word}&sort=price_asc"
    )
    assert gw.get(second["previous"]).json()["results"] == first["results"]
