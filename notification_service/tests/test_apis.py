"""notification_service's REST API through signed requests (real
PostgreSQL): a user's own notifications only, unread filter and count, read
marks, e-mail preferences with strict input."""

from __future__ import annotations

import uuid

import pytest
from notifications.models import Notification

from tests.conftest import deliver

pytestmark = pytest.mark.django_db

URL = "/api/notifications"


def notify(user, n: int = 1) -> None:
    for i in range(n):
        deliver(
            "rentezy.payment.invoice_issued.v1",
            {
                "invoice_id": str(uuid.uuid4()), "lease_id": str(uuid.uuid4()),
                "reservation_id": None, "tenant_id": user.user_id,
                "landlord_id": str(uuid.uuid4()), "period": f"2027-0{i + 1}",
                "amount_minor": 100_00, "currency": "USD", "due_date": "2027-01-01",
                "is_first_invoice": False,
            },
        )  # fmt: skip


def test_a_user_lists_only_their_own_newest_first_and_filters_unread(gateway, tenant, stranger):
    notify(tenant, 3)
    notify(stranger, 1)

    body = gateway.get(URL, as_=tenant).json()
    assert body["count"] == 3
    assert [n["title"] for n in body["results"]] == [
        "Invoice for 2027-03",
        "Invoice for 2027-02",
        "Invoice for 2027-01",
    ]
    assert set(body["results"][0]) == {
        "id",
        "type",
        "title",
        "body",
        "data",
        "created_at",
        "read_at",
    }
    first = body["results"][-1]["id"]

    read = gateway.post(f"{URL}/{first}/read", as_=tenant)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = gateway.post(f"{URL}/{first}/read", as_=tenant)
    assert again.json()["read_at"] == read.json()["read_at"]
    unread = gateway.get(URL + "?unread=true", as_=tenant).json()
    assert [n["id"] for n in unread["results"]] == [n["id"] for n in body["results"][:2]]
    assert gateway.get(URL + "/unread-count", as_=tenant).json() == {"unread_count": 2}

    # Someone else's notification is as unknown as a made-up one.
    for who, target in ((stranger, first), (tenant, str(uuid.uuid4())), (tenant, "nope")):
        response = gateway.post(f"{URL}/{target}/read", as_=who)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")

    marked = gateway.post(f"{URL}/read-all", as_=tenant)
    assert marked.json() == {"marked": 2}
    assert gateway.get(URL + "/unread-count", as_=tenant).json() == {"unread_count": 0}
    assert gateway.get(URL + "/unread-count", as_=stranger).json() == {"unread_count": 1}
    assert gateway.get(URL, as_=None).status_code == 401
    assert gateway.get(URL + "?unread=maybe", as_=tenant).status_code == 400


def test_preferences_default_to_the_catalog_and_refuse_unknown_types(gateway, tenant):
    got = gateway.get(URL + "/preferences", as_=tenant).json()["email"]
    assert got["payment.failed"] is True and got["booking.confirmed"] is False

    for bad in (
        {"email": {"nonsense.type": True}},
        {"email": {"payment.failed": "yes"}},
        {"email": []},
        {"sms": {}},
        {},
    ):
        response = gateway.patch(URL + "/preferences", bad, as_=tenant)
        assert (response.status_code, response.json()["code"]) == (400, "invalid"), bad

    changed = gateway.patch(URL + "/preferences", {"email": {"rent.reminder": False}}, as_=tenant)
    assert changed.status_code == 200
    assert changed.json()["email"]["rent.reminder"] is False
    assert changed.json()["email"]["payment.failed"] is True
    assert gateway.get(URL + "/preferences", as_=tenant).json() == changed.json()
    assert Notification.objects.count() == 0
