"""Events become notifications (real PostgreSQL and Redis): the catalog's
recipients for every event type, once per event, in each user's feed order,
skipping chat recipients who are reading the conversation, and e-mail once per
notification, as each user's preferences say."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis
from django.conf import settings
from django.core import mail
from notifications import catalog, handlers, selectors, tasks
from notifications.models import Notification
from rentezy_platform.presence import presence_enter, presence_leave

from tests.conftest import deliver, register

pytestmark = pytest.mark.django_db

API_TYPES = {
    "booking.confirmed", "booking.cancelled", "rental.requested", "rental.approved",
    "invoice.issued", "payment.succeeded", "payment.failed", "rent.reminder",
    "late_fee.applied", "message.received",
}  # fmt: skip


def ids(*callers) -> dict[str, str]:
    return {c.role + "_id": c.user_id for c in callers}


def event_data(tenant, landlord) -> dict[str, dict]:
    """One example of every event type the catalog maps."""
    common = {"property_id": str(uuid.uuid4()), **ids(tenant, landlord)}
    money = {"amount_minor": 150_000, "currency": "USD"}
    invoice = {"invoice_id": str(uuid.uuid4()), "lease_id": str(uuid.uuid4())}
    return {
        "rentezy.user.registered.v1": {
            "user_id": tenant.user_id, "email": tenant.email, "full_name": "Tess T", "role": "tenant",
        },
        "rentezy.booking.viewing_booked.v1": {
            **common, "booking_id": str(uuid.uuid4()), "slot_id": str(uuid.uuid4()),
            "property_title": "Loft", "starts_at": "2027-01-05T10:00:00Z",
            "ends_at": "2027-01-05T10:30:00Z",
        },
        "rentezy.booking.viewing_cancelled.v1": {
            **common, "booking_id": str(uuid.uuid4()), "slot_id": str(uuid.uuid4()),
            "cancelled_by": "landlord",
        },
        "rentezy.booking.slot_cancelled.v1": {
            "slot_id": str(uuid.uuid4()), "property_id": common["property_id"],
            "landlord_id": landlord.user_id, "tenant_ids": [tenant.user_id],
        },
        "rentezy.booking.rental_requested.v1": {
            **common, "reservation_id": str(uuid.uuid4()), "property_title": "Loft",
            "start_date": "2027-02-01", "end_date": "2028-02-01",
        },
        "rentezy.booking.rental_confirmed.v1": {
            **common, "reservation_id": str(uuid.uuid4()), "property_title": "Loft",
            "start_date": "2027-02-01", "end_date": "2028-02-01", "monthly_rent_minor": 1,
            "deposit_minor": 1, "currency": "USD",
        },
        "rentezy.booking.rental_rejected.v1": {
            **common, "reservation_id": str(uuid.uuid4()), "reason": "rejected_by_landlord",
        },
        "rentezy.booking.rental_cancelled.v1": {
            **common, "reservation_id": str(uuid.uuid4()), "reason": "cancelled_by_tenant",
        },
        "rentezy.booking.rental_expired.v1": {
            **common, "reservation_id": str(uuid.uuid4()), "reason": "no_response",
        },
        "rentezy.payment.invoice_issued.v1": {
            **invoice, **ids(tenant, landlord), **money, "reservation_id": None,
            "period": "2027-02", "due_date": "2027-02-01", "is_first_invoice": False,
        },
        "rentezy.payment.payment_succeeded.v1": {
            **invoice, **ids(tenant, landlord), **money, "payment_id": str(uuid.uuid4()),
            "reservation_id": None, "paid_at": "2027-02-01T09:00:00Z", "is_first_invoice": False,
        },
        "rentezy.payment.payment_failed.v1": {
            **invoice, **ids(tenant, landlord), **money, "payment_id": str(uuid.uuid4()),
            "reservation_id": None, "reason": "card_declined", "is_first_invoice": False,
        },
        "rentezy.payment.late_fee_applied.v1": {
            **invoice, **ids(tenant, landlord), "fee_minor": 5000, "currency": "USD",
        },
        "rentezy.payment.rent_reminder_due.v1": {
            **invoice, "tenant_id": tenant.user_id, **money, "due_date": "2027-02-01",
            "kind": "3_days",
        },
        "rentezy.chat.message_sent.v1": {
            "message_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()),
            "property_id": None, "sender_id": landlord.user_id, "recipient_ids": [tenant.user_id],
            "preview": "See you at 10", "sent_at": "2027-01-05T09:00:00Z",
        },
    }  # fmt: skip


EXPECTED = {
    "rentezy.user.registered.v1": [("tenant", "account.welcome")],
    "rentezy.booking.viewing_booked.v1": [
        ("tenant", "booking.confirmed"),
        ("landlord", "booking.confirmed"),
    ],
    "rentezy.booking.viewing_cancelled.v1": [("tenant", "booking.cancelled")],
    "rentezy.booking.slot_cancelled.v1": [("tenant", "booking.cancelled")],
    "rentezy.booking.rental_requested.v1": [("landlord", "rental.requested")],
    "rentezy.booking.rental_confirmed.v1": [("tenant", "rental.approved")],
    "rentezy.booking.rental_rejected.v1": [("tenant", "rental.rejected")],
    "rentezy.booking.rental_cancelled.v1": [
        ("tenant", "rental.cancelled"),
        ("landlord", "rental.cancelled"),
    ],
    "rentezy.booking.rental_expired.v1": [
        ("tenant", "rental.expired"),
        ("landlord", "rental.expired"),
    ],
    "rentezy.payment.invoice_issued.v1": [("tenant", "invoice.issued")],
    "rentezy.payment.payment_succeeded.v1": [
        ("tenant", "payment.succeeded"),
        ("landlord", "payment.succeeded"),
    ],
    "rentezy.payment.payment_failed.v1": [("tenant", "payment.failed")],
    "rentezy.payment.late_fee_applied.v1": [("tenant", "late_fee.applied")],
    "rentezy.payment.rent_reminder_due.v1": [("tenant", "rent.reminder")],
    "rentezy.chat.message_sent.v1": [("tenant", "message.received")],
}


def test_the_catalog_covers_every_type_the_api_names_and_every_consumed_event():
    assert API_TYPES <= set(catalog.TYPES)
    assert set(EXPECTED) == set(catalog.PLANS)
    assert set(catalog.PLANS) <= set(handlers.HANDLERS)


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_each_event_notifies_the_right_users_once(tenant, landlord, event_type, mailed):
    data = event_data(tenant, landlord)[event_type]
    event = deliver(event_type, data)
    deliver(event_type, data, event_id=event.id)  # redelivered

    by_role = {tenant.user_id: "tenant", landlord.user_id: "landlord"}
    made = [
        (by_role[str(n.user_id)], n.type)
        for n in Notification.objects.order_by("created_at", "seq")
    ]
    assert sorted(made) == sorted(EXPECTED[event_type])
    for notification in Notification.objects.all():
        assert notification.title and notification.body
        assert notification.email_wanted == catalog.EMAIL_BY_DEFAULT[notification.type]
    assert sorted(mailed) == sorted(
        str(n.pk) for n in Notification.objects.filter(email_wanted=True)
    )


def test_amounts_dates_and_previews_read_like_a_person_wrote_them(tenant, landlord):
    data = event_data(tenant, landlord)
    deliver("rentezy.payment.payment_failed.v1", data["rentezy.payment.payment_failed.v1"])
    deliver("rentezy.payment.rent_reminder_due.v1", data["rentezy.payment.rent_reminder_due.v1"])
    deliver("rentezy.booking.viewing_booked.v1", data["rentezy.booking.viewing_booked.v1"])
    by_type = {n.type: n for n in Notification.objects.filter(user_id=tenant.user_id)}
    assert "1500.00 USD" in by_type["payment.failed"].body
    assert "card_declined" in by_type["payment.failed"].body
    assert by_type["rent.reminder"].title == "Rent due in 3 days"
    assert "Tue 05 Jan 2027, 10:00 UTC" in by_type["booking.confirmed"].body
    assert (
        by_type["booking.confirmed"].data["booking_id"]
        == data["rentezy.booking.viewing_booked.v1"]["booking_id"]
    )


def test_a_users_notifications_are_numbered_in_commit_order(tenant, landlord):
    data = event_data(tenant, landlord)
    for event_type in sorted(EXPECTED):
        deliver(event_type, data[event_type])
    seqs = list(
        Notification.objects.filter(user_id=tenant.user_id)
        .order_by("created_at")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, len(seqs) + 1))
    first = Notification.objects.get(user_id=tenant.user_id, seq=3)
    missed = selectors.missed_since(user_id=tenant.user_id, after_id=first.pk)
    assert [n.seq for n in missed] == list(range(4, len(seqs) + 1))
    assert selectors.missed_since(user_id=landlord.user_id, after_id=first.pk) is None


def test_a_chat_recipient_reading_the_conversation_is_not_notified(tenant, landlord):
    data = event_data(tenant, landlord)["rentezy.chat.message_sent.v1"]
    client = aioredis.Redis.from_url(settings.REDIS_URL)

    async def present(enter: bool):
        if enter:
            await presence_enter(
                client, conversation_id=data["conversation_id"], user_id=tenant.user_id,
                connection="c1",
            )  # fmt: skip
        else:
            await presence_leave(
                client, conversation_id=data["conversation_id"], user_id=tenant.user_id,
                connection="c1",
            )  # fmt: skip
        await client.aclose()

    asyncio.run(present(True))
    deliver("rentezy.chat.message_sent.v1", data)
    assert not Notification.objects.exists()

    client = aioredis.Redis.from_url(settings.REDIS_URL)
    asyncio.run(present(False))
    deliver("rentezy.chat.message_sent.v1", {**data, "message_id": str(uuid.uuid4())})
    assert Notification.objects.get().type == "message.received"


def test_an_email_goes_once_per_notification_with_text_and_html(tenant, landlord, mailed):
    register(tenant, "Tess Tenant")
    data = event_data(tenant, landlord)["rentezy.payment.payment_failed.v1"]
    event = deliver("rentezy.payment.payment_failed.v1", data)
    deliver("rentezy.payment.payment_failed.v1", data, event_id=event.id)
    (notification_id,) = mailed

    assert [tasks.send_email(notification_id) for _ in range(3)] == ["sent", "skipped", "skipped"]

    (message,) = mail.outbox
    assert message.to == [tenant.email] and message.subject == "RentEzy: Payment failed"
    assert "Hi Tess," in message.body and "1500.00 USD" in message.body
    (html, kind) = message.alternatives[0]
    assert kind == "text/html" and "Payment failed" in html
    assert Notification.objects.get(pk=notification_id).emailed_at is not None


def test_preferences_decide_what_goes_by_email(tenant, landlord, mailed, gateway):
    register(tenant)
    response = gateway.patch(
        "/api/notifications/preferences",
        {"email": {"payment.failed": False, "booking.confirmed": True}},
        as_=tenant,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["email"]["payment.failed"] is False
    data = event_data(tenant, landlord)
    deliver("rentezy.payment.payment_failed.v1", data["rentezy.payment.payment_failed.v1"])
    deliver("rentezy.booking.viewing_booked.v1", data["rentezy.booking.viewing_booked.v1"])
    wanted = Notification.objects.filter(user_id=tenant.user_id, email_wanted=True)
    assert [n.type for n in wanted] == ["booking.confirmed"]
    assert mailed == [str(wanted.get().pk)]


def test_no_address_no_email(tenant, landlord, mailed):
    data = event_data(tenant, landlord)["rentezy.payment.late_fee_applied.v1"]
    deliver("rentezy.payment.late_fee_applied.v1", data)
    assert tasks.send_email(mailed[0]) == "no_address"
    assert mail.outbox == []


def test_the_sweep_queues_again_only_the_emails_whose_task_never_ran(tenant, landlord, mailed):
    from datetime import timedelta

    from django.utils import timezone

    def made(*, age: timedelta, wanted: bool = True, emailed: bool = False) -> Notification:
        notification = Notification.objects.create(
            user_id=tenant.user_id, seq=Notification.objects.count() + 1, type="payment.failed",
            title="t", body="b", source_event_id=uuid.uuid4().hex, email_wanted=wanted,
            emailed_at=timezone.now() if emailed else None,
        )  # fmt: skip
        Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - age)
        return notification

    lost = made(age=timedelta(minutes=5))  # the broker was away when it was made
    made(age=timedelta(seconds=5))  # its task is surely still on its way
    made(age=timedelta(minutes=5), emailed=True)
    made(age=timedelta(minutes=5), wanted=False)
    made(age=timedelta(days=3))  # too late to be worth sending

    assert tasks.send_pending_emails() == 1
    assert mailed == [str(lost.pk)]
