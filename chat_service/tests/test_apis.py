"""chat_service's REST API through signed requests (real PostgreSQL):
conversations (one per pair and property, participants only), messages
(trimmed bodies, client_id resends, cursor pages newest first), read marks and
unread counts, and the message_sent event (a preview, never the body)."""

from __future__ import annotations

import uuid

import pytest
from chat.models import Conversation, Message
from rentezy_platform.outbox.models import OutboxMessage

from tests.conftest import register

pytestmark = pytest.mark.django_db

CONVERSATIONS = "/api/chat/conversations"


def messages_url(conversation_id: str) -> str:
    return f"{CONVERSATIONS}/{conversation_id}/messages"


def open_conversation(gateway, caller, other, **extra) -> dict:
    response = gateway.post(CONVERSATIONS, {"participant_id": other.user_id, **extra}, as_=caller)
    assert response.status_code in (200, 201), response.json()
    return response.json()


def test_a_conversation_is_opened_once_per_pair_and_property(gateway, tenant, landlord):
    register(tenant, "Tess Tenant")
    register(landlord, "Lee Landlord")
    property_id = str(uuid.uuid4())

    first = gateway.post(CONVERSATIONS, {"participant_id": landlord.user_id}, as_=tenant)
    again = gateway.post(CONVERSATIONS, {"participant_id": tenant.user_id}, as_=landlord)
    about = gateway.post(
        CONVERSATIONS,
        {"participant_id": landlord.user_id, "property_id": property_id},
        as_=tenant,
    )

    assert (first.status_code, again.status_code, about.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"]
    assert about.json()["id"] != first.json()["id"]
    assert sorted(first.json()["participants"]) == sorted([tenant.user_id, landlord.user_id])
    assert first.json()["other_participant"] == {
        "id": landlord.user_id,
        "full_name": "Lee Landlord",
    }
    assert again.json()["other_participant"] == {"id": tenant.user_id, "full_name": "Tess Tenant"}
    assert (about.json()["property_id"], first.json()["property_id"]) == (property_id, None)
    assert (first.json()["last_message"], first.json()["unread_count"]) == (None, 0)
    assert Conversation.objects.count() == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"participant_id": str(uuid.uuid4())}, "participant_id"),  # not registered
        ({"participant_id": "me"}, "participant_id"),
        ({}, "participant_id"),
        ({"participant_id": None}, "participant_id"),
        ({"participant_id": "{landlord}", "property_id": "x"}, "property_id"),
        ({"participant_id": "{landlord}", "participants": []}, "participants"),
        ({"participant_id": "{landlord}", "sender_id": "x"}, "sender_id"),
    ],
)
def test_bad_conversation_input_is_a_400_naming_the_field(gateway, tenant, landlord, body, field):
    register(landlord)
    body = {k: (landlord.user_id if v == "{landlord}" else v) for k, v in body.items()}
    response = gateway.post(CONVERSATIONS, body, as_=tenant)
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert field in response.json()["fields"]
    assert not Conversation.objects.exists()


def test_nobody_talks_to_themselves(gateway, tenant):
    register(tenant)
    response = gateway.post(CONVERSATIONS, {"participant_id": tenant.user_id}, as_=tenant)
    assert (response.status_code, list(response.json()["fields"])) == (400, ["participant_id"])


def test_only_participants_see_or_post_and_others_get_404(gateway, tenant, landlord, stranger):
    register(landlord)
    conversation = open_conversation(gateway, tenant, landlord)
    cid = conversation["id"]
    gateway.post(messages_url(cid), {"body": "hello"}, as_=tenant)

    for path in (f"{CONVERSATIONS}/{cid}", messages_url(cid)):
        response = gateway.get(path, as_=stranger)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    posted = gateway.post(messages_url(cid), {"body": "let me in"}, as_=stranger)
    read = gateway.post(f"{CONVERSATIONS}/{cid}/read", {"up_to": str(uuid.uuid4())}, as_=stranger)
    assert (posted.status_code, read.status_code) == (404, 404)
    assert gateway.get(CONVERSATIONS, as_=stranger).json()["count"] == 0
    for bad in ("not-a-uuid", str(uuid.uuid4())):
        assert gateway.get(messages_url(bad), as_=tenant).status_code == 404
    assert gateway.get(messages_url(cid), as_=None).status_code == 401
    assert Message.objects.count() == 1


def test_a_message_is_stored_trimmed_from_the_caller_and_published_as_a_preview(
    gateway, tenant, landlord
):
    register(landlord)
    cid = open_conversation(gateway, tenant, landlord)["id"]
    body = "  " + "x" * 3990 + " end \n"

    response = gateway.post(messages_url(cid), {"body": body}, as_=tenant)

    assert response.status_code == 201, response.json()
    message = response.json()
    assert message["body"] == body.strip()
    assert (message["sender_id"], message["conversation_id"], message["client_id"]) == (
        tenant.user_id,
        cid,
        None,
    )
    (event,) = OutboxMessage.objects.filter(type="rentezy.chat.message_sent.v1")
    data = event.payload["data"]
    assert data["preview"] == body.strip()[:140] and len(data["preview"]) == 140
    assert (data["sender_id"], data["recipient_ids"], data["message_id"]) == (
        tenant.user_id,
        [landlord.user_id],
        message["id"],
    )
    assert event.payload["subject"] == cid


@pytest.mark.parametrize(
    "body, field",
    [
        ({"body": ""}, "body"),
        ({"body": " \n\t "}, "body"),
        ({"body": "x" * 4001}, "body"),
        ({"body": 42}, "body"),
        ({}, "body"),
        ({"body": "hi", "sender_id": str(uuid.uuid4())}, "sender_id"),
        ({"body": "hi", "client_id": "c" * 65}, "client_id"),
        ({"body": "hi", "client_id": 7}, "client_id"),
    ],
)
def test_bad_messages_are_400s_and_store_nothing(gateway, tenant, landlord, body, field):
    register(landlord)
    cid = open_conversation(gateway, tenant, landlord)["id"]
    response = gateway.post(messages_url(cid), body, as_=tenant)
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert field in response.json()["fields"]
    assert (
        not Message.objects.exists()
        and not OutboxMessage.objects.filter(type="rentezy.chat.message_sent.v1").exists()
    )


def test_a_resend_with_the_same_client_id_is_the_same_message(gateway, tenant, landlord):
    register(landlord)
    cid = open_conversation(gateway, tenant, landlord)["id"]
    first = gateway.post(messages_url(cid), {"body": "on my way", "client_id": "c-1"}, as_=tenant)
    again = gateway.post(messages_url(cid), {"body": "on my way", "client_id": "c-1"}, as_=tenant)
    theirs = gateway.post(
        messages_url(cid), {"body": "same id, other sender", "client_id": "c-1"}, as_=landlord
    )

    assert (first.status_code, again.status_code, theirs.status_code) == (201, 200, 201)
    assert again.json() == first.json() and first.json()["client_id"] == "c-1"
    assert Message.objects.count() == 2
    assert OutboxMessage.objects.filter(type="rentezy.chat.message_sent.v1").count() == 2


def test_history_is_newest_first_in_cursor_pages(gateway, tenant, landlord):
    register(landlord)
    cid = open_conversation(gateway, tenant, landlord)["id"]
    sent = [
        gateway.post(messages_url(cid), {"body": f"m{i}"}, as_=tenant if i % 2 else landlord).json()
        for i in range(7)
    ]

    seen, url = [], messages_url(cid) + "?page_size=3"
    while url:
        page = gateway.get(url.replace("http://testserver", ""), as_=landlord)
        assert page.status_code == 200, page.json()
        assert len(page.json()["results"]) <= 3
        seen += [m["body"] for m in page.json()["results"]]
        url = page.json()["next"]
        if url:
            assert url.startswith("http://") and "cursor=" in url
            url = "/" + url.split("/", 3)[3]

    assert seen == [m["body"] for m in reversed(sent)]
    for bad in ("?page_size=0", "?page_size=x"):
        assert gateway.get(messages_url(cid) + bad, as_=tenant).status_code == 400
    assert gateway.get(messages_url(cid) + "?cursor=garbage", as_=tenant).status_code == 404


def test_unread_counts_follow_the_read_mark_which_never_moves_back(gateway, tenant, landlord):
    register(landlord)
    register(tenant)
    cid = open_conversation(gateway, tenant, landlord)["id"]
    mine = gateway.post(messages_url(cid), {"body": "hi"}, as_=tenant).json()
    theirs = [
        gateway.post(messages_url(cid), {"body": f"reply {i}"}, as_=landlord).json()
        for i in range(3)
    ]

    def unread(caller) -> int:
        (row,) = gateway.get(CONVERSATIONS, as_=caller).json()["results"]
        assert row["last_message"]["id"] == theirs[-1]["id"]
        return row["unread_count"]

    assert (unread(tenant), unread(landlord)) == (3, 0)
    read = gateway.post(f"{CONVERSATIONS}/{cid}/read", {"up_to": theirs[1]["id"]}, as_=tenant)
    assert (read.status_code, read.json()["unread_count"]) == (200, 1)
    back = gateway.post(f"{CONVERSATIONS}/{cid}/read", {"up_to": mine["id"]}, as_=tenant)
    assert back.json()["unread_count"] == 1
    other = open_conversation(gateway, landlord, tenant, property_id=str(uuid.uuid4()))
    message_elsewhere = gateway.post(messages_url(other["id"]), {"body": "x"}, as_=landlord).json()
    wrong = gateway.post(
        f"{CONVERSATIONS}/{cid}/read", {"up_to": message_elsewhere["id"]}, as_=tenant
    )
    assert (wrong.status_code, list(wrong.json()["fields"])) == (400, ["up_to"])
    # Sending moves the sender's own mark: a reply reads everything before it.
    gateway.post(messages_url(cid), {"body": "thanks"}, as_=tenant)
    detail = gateway.get(f"{CONVERSATIONS}/{cid}", as_=tenant).json()
    assert detail["unread_count"] == 0
