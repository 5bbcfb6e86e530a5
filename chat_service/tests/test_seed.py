"""`manage.py seed` (make seed): the demo conversation, once, and a clear
failure when the demo users never arrive (real PostgreSQL)."""

from __future__ import annotations

import io
import uuid

import pytest
from chat.management.commands.seed import DEMO_MESSAGES, DEMO_TENANT_ID
from chat.models import Conversation, Message
from django.core.management import CommandError, call_command
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import Caller

from tests.conftest import register

pytestmark = pytest.mark.django_db


def test_the_demo_conversation_is_made_once(django_capture_on_commit_callbacks):
    register(Caller(user_id=str(DEMO_TENANT_ID), role="tenant"), "Alex Morgan")
    landlord = Caller.new("landlord")
    register(landlord, "Dana Landlord")
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed", timeout=2, stdout=out)
        call_command("seed", timeout=2, stdout=out)

    conversation = Conversation.objects.get()
    assert {conversation.user_low, conversation.user_high} == {
        DEMO_TENANT_ID,
        uuid.UUID(landlord.user_id),
    }
    bodies = list(Message.objects.order_by("created_at").values_list("body", flat=True))
    assert bodies == [body for _, body in DEMO_MESSAGES]
    assert OutboxMessage.objects.filter(type="rentezy.chat.message_sent.v1").count() == 3
    assert "3 new messages" in out.getvalue() and "0 new messages" in out.getvalue()


def test_without_the_demo_users_it_fails_clearly():
    with pytest.raises(CommandError, match="demo users did not reach chat_service"):
        call_command("seed", timeout=1, stdout=io.StringIO())
