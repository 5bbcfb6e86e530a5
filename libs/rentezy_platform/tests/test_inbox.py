"""inbox_process and inbox_claim: the effect and its dedup record commit together."""

from __future__ import annotations

import pytest
from django.db import transaction
from rentezy_platform.events import CloudEvent
from rentezy_platform.inbox.models import InboxMessage
from rentezy_platform.inbox.services import inbox_claim, inbox_process

from tests.widgets.models import EffectCounter
from tests.widgets.services import effect_counter_increment

WIDGET_ID = "5a0b6a34-0f1e-4a57-9d55-9a4f0c1d2e3f"


def make_event(
    event_id: str = "0f8fad5b-d9cb-469f-a165-70867728950e", source: str = "/platform_tests"
) -> CloudEvent:
    return CloudEvent(
        id=event_id,
        source=source,
        type="rentezy.test.widget_changed.v1",
        time="2026-01-02T03:04:05.000000Z",
        subject=WIDGET_ID,
        data={"widget_id": WIDGET_ID, "name": "a", "seq": 1},
    )


@pytest.mark.django_db
def test_first_delivery_applies_and_records():
    event = make_event()
    assert inbox_process(event, effect_counter_increment, consumer_group="g1") is True
    assert list(EffectCounter.objects.values_list("event_id", "count")) == [(event.id, 1)]
    assert list(
        InboxMessage.objects.values_list("consumer_group", "source", "event_id", "type")
    ) == [("g1", "/platform_tests", event.id, "rentezy.test.widget_changed.v1")]


@pytest.mark.django_db
def test_redelivery_is_skipped():
    event = make_event()
    assert inbox_process(event, effect_counter_increment, consumer_group="g1") is True
    assert inbox_process(event, effect_counter_increment, consumer_group="g1") is False
    assert (
        inbox_process(event=event, handler=effect_counter_increment, consumer_group="g1") is False
    )
    assert list(EffectCounter.objects.values_list("count", flat=True)) == [1]
    assert InboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_failed_handler_leaves_no_record_and_no_effect():
    event = make_event()

    def half_done_then_fail(e: CloudEvent) -> None:
        effect_counter_increment(e)
        raise ValueError("downstream refused")

    with pytest.raises(ValueError, match="downstream refused"):
        inbox_process(event, half_done_then_fail, consumer_group="g1")
    assert EffectCounter.objects.count() == 0
    assert InboxMessage.objects.count() == 0
    # So the retry applies it.
    assert inbox_process(event, effect_counter_increment, consumer_group="g1") is True
    assert list(EffectCounter.objects.values_list("count", flat=True)) == [1]


@pytest.mark.django_db
def test_same_id_from_another_source_is_another_event():
    assert (
        inbox_process(make_event(source="/a_service"), lambda e: None, consumer_group="g1") is True
    )
    assert (
        inbox_process(make_event(source="/b_service"), lambda e: None, consumer_group="g1") is True
    )
    assert InboxMessage.objects.count() == 2


@pytest.mark.django_db
def test_each_consumer_group_applies_the_event_once():
    event = make_event()
    calls: list[str] = []
    assert (
        inbox_process(event, lambda e: calls.append("projection"), consumer_group="projection")
        is True
    )
    assert inbox_process(event, lambda e: calls.append("mailer"), consumer_group="mailer") is True
    assert inbox_process(event, lambda e: calls.append("mailer"), consumer_group="mailer") is False
    assert calls == ["projection", "mailer"]


@pytest.mark.django_db(transaction=True)
def test_without_savepoint_a_failure_dooms_the_callers_transaction():
    first = make_event(event_id="11111111-1111-4111-8111-111111111111")
    second = make_event(event_id="22222222-2222-4222-8222-222222222222")

    def failing(e: CloudEvent) -> None:
        effect_counter_increment(e)
        raise ValueError("nope")

    with transaction.atomic():
        assert inbox_process(first, effect_counter_increment, consumer_group="g1", savepoint=False)
        with pytest.raises(ValueError):
            inbox_process(second, failing, consumer_group="g1", savepoint=False)
        # The caller (the consumer's batch) must redo its work in a new transaction.
        assert transaction.get_rollback() is True
    assert EffectCounter.objects.count() == 0
    assert InboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_claim_records_many_at_once_and_returns_only_the_new_ones():
    old, new, other_source = make_event("e-old"), make_event("e-new"), make_event("e-old", "/x")
    with transaction.atomic():
        assert inbox_claim([old], consumer_group="g1") == {("/platform_tests", "e-old")}
    with transaction.atomic():
        claimed = inbox_claim([old, new, new, other_source], consumer_group="g1")
    assert claimed == {("/platform_tests", "e-new"), ("/x", "e-old")}
    assert InboxMessage.objects.filter(consumer_group="g1").count() == 3
    # Another group claims the same events for itself.
    with transaction.atomic():
        assert len(inbox_claim([old, new], consumer_group="g2")) == 2


@pytest.mark.django_db
def test_a_rolled_back_claim_leaves_no_record():
    event = make_event("e-rollback")
    with pytest.raises(RuntimeError), transaction.atomic():
        inbox_claim([event], consumer_group="g1")
        raise RuntimeError("the effect failed")
    assert not InboxMessage.objects.filter(event_id="e-rollback").exists()
    with transaction.atomic():
        assert inbox_claim([event], consumer_group="g1") == {("/platform_tests", "e-rollback")}


@pytest.mark.django_db(transaction=True)
def test_claim_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        inbox_claim([make_event()], consumer_group="g1")
    assert inbox_claim([], consumer_group="g1") == set()
