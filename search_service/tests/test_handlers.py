"""search/handlers.py: the property events through the REAL ConsumerRunner, on
topics of this test's own (a unique KAFKA_TOPIC_PREFIX), into a unique alias."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Producer
from rentezy_platform.events import CloudEvent, topic_for
from rentezy_platform.inbox.models import InboxMessage
from rentezy_platform.kafka.config import producer_config
from rentezy_platform.kafka.topics import delete_topics, dlq_topic
from rentezy_platform.testing import ConsumerThread, KafkaTestConsumer, wait_until
from search.engine import get_engine
from search.handlers import HANDLERS, PROPERTY_ARCHIVED, PROPERTY_CREATED, PROPERTY_UPDATED
from search.index import delete_indices
from search.query import SearchParams
from search.selectors import property_search

from tests.conftest import next_version, property_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_three_property_events_are_handled():
    assert set(HANDLERS) == {
        "rentezy.property.created.v1",
        "rentezy.property.updated.v1",
        "rentezy.property.archived.v1",
    }


def property_event(event_type: str, data: dict) -> CloudEvent:
    return CloudEvent.new(
        type=event_type, subject=data["property_id"], data=data, source="/property_service"
    )


@pytest.fixture
def topic(settings):
    settings.KAFKA_TOPIC_PREFIX = f"test-{uuid.uuid4().hex}."
    name = topic_for(PROPERTY_CREATED)
    yield name
    delete_topics([name, dlq_topic(name)])


def produce(topic: str, messages: list[tuple[str, bytes | str]]) -> None:
    producer = Producer(producer_config())
    for key, value in messages:
        producer.produce(topic, key=key.encode(), value=value)
    assert producer.flush(30) == 0


def searchable() -> dict[str, str]:
    page = property_search(params=SearchParams(page_size=100))
    return {result["id"]: result["title"] for result in page.results}


def test_events_through_the_consumer_end_up_searchable(search_alias, topic):
    one = property_data(title="One")
    two = property_data(title="Two")
    three = property_data(title="Three")
    events = [
        (one, property_event(PROPERTY_CREATED, one)),
        (two, property_event(PROPERTY_CREATED, two)),
        (three, property_event(PROPERTY_CREATED, three)),
        (one, property_event(PROPERTY_UPDATED, next_version(one, title="One, renovated"))),
        (two, property_event(PROPERTY_ARCHIVED, next_version(two, status="archived"))),
    ]
    duplicate = events[3][1]
    poison_bad_json = b"{not json"
    poison_bad_data = property_event(PROPERTY_UPDATED, {**three, "monthly_rent_minor": "lots"})
    # Valid by the contract, refused by the engine (not a finite float).
    poison_refused = property_event(
        PROPERTY_UPDATED, next_version(three, title="Refused", bathrooms=1e300)
    )
    produce(
        topic,
        [(data["property_id"], event.to_json()) for data, event in events]
        + [
            (one["property_id"], duplicate.to_json()),
            (three["property_id"], poison_bad_json),
            (three["property_id"], poison_bad_data.to_json()),
            (three["property_id"], poison_refused.to_json()),
        ],
    )
    group = f"test-{uuid.uuid4().hex}"
    with ConsumerThread(
        group, [topic], HANDLERS, max_retries=1, backoff_initial=0.01, backoff_max=0.05
    ) as consumer:
        runner = consumer.runner
        wait_until(
            lambda: runner.processed + runner.duplicates + runner.dead_lettered == 9,
            timeout=60,
            message="9 messages handled",
        )
    assert (runner.processed, runner.duplicates, runner.dead_lettered) == (5, 1, 3)
    get_engine().refresh(search_alias)
    assert searchable() == {
        one["property_id"]: "One, renovated",
        three["property_id"]: "Three",
    }
    assert InboxMessage.objects.filter(consumer_group=group).count() == 5

    with KafkaTestConsumer(dlq_topic(topic)) as dlq:
        dead = dlq.read(count=3)
        dlq.drain(idle=0.5)
    assert [(m.value, m.header("error_type")) for m in dead] == [
        (poison_bad_json, "rentezy_platform.events.envelope.InvalidEvent"),
        (poison_bad_data.to_json().encode(), "rentezy_platform.events.envelope.InvalidEvent"),
        (poison_refused.to_json().encode(), "search.services.SearchIndexingError"),
    ]
    assert {m.header("consumer_group") for m in dead} == {group}


def test_replaying_the_topic_into_an_empty_index_rebuilds_the_same_state(search_alias, topic):
    histories = []
    for n in range(10):
        data = property_data(title=f"Home {n}")
        history = [property_event(PROPERTY_CREATED, data)]
        for status in ("listed", "archived" if n % 3 == 0 else "listed"):
            data = next_version(data, title=f"Home {n} v{data['version'] + 1}", status=status)
            event_type = PROPERTY_ARCHIVED if status == "archived" else PROPERTY_UPDATED
            history.append(property_event(event_type, data))
        histories.append(history)
    produce(topic, [(e.subject, e.to_json()) for history in histories for e in history])
    expected = {
        h[-1].subject: h[-1].data["title"] for h in histories if h[-1].data["status"] == "listed"
    }

    for attempt in range(2):
        if attempt:
            # Start over from nothing: no index at all, a group with no offsets.
            delete_indices(search_alias)
        group = f"test-{uuid.uuid4().hex}"
        with ConsumerThread(group, [topic], HANDLERS) as consumer:
            wait_until(lambda c=consumer: c.runner.processed == 30, timeout=60)
        get_engine().refresh(search_alias)
        assert searchable() == expected, f"attempt {attempt}"
    assert len(expected) == 6
