"""Envelope, registry and schema validation: pure logic on the test contracts."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from rentezy_platform.events import (
    CloudEvent,
    InvalidEvent,
    UnknownEventType,
    contracts_dir,
    event_types,
    parse_event,
    physical_topic,
    topic_for,
    validate_data,
    validate_event,
)
from rentezy_platform.events.registry import CONTRACTS_DIR_ENV

TEST_CONTRACTS = Path(__file__).resolve().parent / "contracts"
WIDGET_ID = "5a0b6a34-0f1e-4a57-9d55-9a4f0c1d2e3f"


def make_event(**overrides) -> CloudEvent:
    fields = {
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "source": "/platform_tests",
        "type": "rentezy.test.widget_changed.v1",
        "time": "2026-01-02T03:04:05.123456Z",
        "subject": WIDGET_ID,
        "data": {"widget_id": WIDGET_ID, "name": "sprocket", "seq": 1},
        "requestid": "req-1",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }
    fields.update(overrides)
    return CloudEvent(**fields)


def test_to_dict_has_exactly_the_cloudevents_attributes():
    assert make_event().to_dict() == {
        "specversion": "1.0",
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "source": "/platform_tests",
        "type": "rentezy.test.widget_changed.v1",
        "time": "2026-01-02T03:04:05.123456Z",
        "subject": WIDGET_ID,
        "datacontenttype": "application/json",
        "data": {"widget_id": WIDGET_ID, "name": "sprocket", "seq": 1},
        "requestid": "req-1",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }


def test_optional_extensions_are_omitted_not_null():
    envelope = make_event(requestid=None, traceparent=None).to_dict()
    assert "requestid" not in envelope
    assert "traceparent" not in envelope


def test_json_round_trip_is_lossless():
    event = make_event()
    assert CloudEvent.from_json(event.to_json()) == event
    assert CloudEvent.from_dict(event.to_dict()) == event
    assert CloudEvent.from_json(event.to_json().encode()) == event


def test_from_dict_keeps_unknown_extension_attributes():
    envelope = make_event().to_dict() | {"partitionkey": "abc", "dataschema": "https://x.example/s"}
    event = CloudEvent.from_dict(envelope)
    assert event.extensions == {"partitionkey": "abc", "dataschema": "https://x.example/s"}
    assert event.to_dict() == envelope


def test_from_dict_defaults_missing_datacontenttype():
    envelope = make_event().to_dict()
    del envelope["datacontenttype"]
    assert CloudEvent.from_dict(envelope).datacontenttype == "application/json"


def test_from_dict_names_every_missing_required_attribute():
    envelope = make_event().to_dict()
    for name in ("id", "subject", "data"):
        del envelope[name]
    envelope["specversion"] = "0.3"
    with pytest.raises(InvalidEvent) as excinfo:
        CloudEvent.from_dict(envelope)
    assert excinfo.value.errors == [
        "specversion: must be '1.0', got '0.3'",
        "id: required non-empty string, got None",
        "subject: required non-empty string, got None",
        "data: required JSON object, got None",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b"not json{",
            "event envelope is not valid JSON: Expecting value: line 1 column 1 (char 0)",
        ),
        (b"[1, 2]", "event envelope must be a JSON object, got list"),
        (None, "event envelope is empty (null message value)"),
    ],
)
def test_from_json_rejects_non_envelopes(raw, message):
    with pytest.raises(InvalidEvent) as excinfo:
        CloudEvent.from_json(raw)
    assert str(excinfo.value) == message


def test_new_event_has_uuid4_id_and_utc_time():
    event = CloudEvent.new(
        type="rentezy.test.widget_changed.v1",
        subject=WIDGET_ID,
        data={"widget_id": WIDGET_ID, "name": "a", "seq": 0},
        source="/platform_tests",
    )
    assert uuid.UUID(event.id).version == 4
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", event.time)
    assert event.timestamp.utcoffset().total_seconds() == 0
    assert event.specversion == "1.0"
    assert event.datacontenttype == "application/json"
    validate_event(event)


def test_event_is_immutable():
    event = make_event()
    with pytest.raises(AttributeError):
        event.subject = "other"  # type: ignore[misc]


def test_registry_lists_schema_files_as_types():
    assert contracts_dir() == TEST_CONTRACTS
    assert event_types() == frozenset(
        {"rentezy.test.widget_changed.v1", "rentezy.test.widget_archived.v1"}
    )


def test_topic_for_is_the_first_two_dot_parts():
    assert topic_for("rentezy.test.widget_changed.v1") == "rentezy.test"
    assert topic_for("rentezy.test.widget_archived.v1") == "rentezy.test"


def test_topic_prefix_is_prepended_once(settings):
    settings.KAFKA_TOPIC_PREFIX = "run42."
    assert topic_for("rentezy.test.widget_changed.v1") == "run42.rentezy.test"
    assert physical_topic("rentezy.test") == "run42.rentezy.test"
    # Already physical: not prefixed twice.
    assert physical_topic("run42.rentezy.test") == "run42.rentezy.test"
    settings.KAFKA_TOPIC_PREFIX = ""
    assert physical_topic("rentezy.test") == "rentezy.test"


def test_topic_for_unknown_type_raises():
    with pytest.raises(UnknownEventType) as excinfo:
        topic_for("rentezy.test.widget_exploded.v1")
    assert "unknown event type 'rentezy.test.widget_exploded.v1'" in str(excinfo.value)


def test_validate_event_accepts_a_valid_event():
    validate_event(make_event())


def test_validate_event_reports_envelope_violations():
    event = make_event(id="not-a-uuid", source="platform_tests")
    with pytest.raises(InvalidEvent) as excinfo:
        validate_event(event)
    assert excinfo.value.errors == [
        "$.id: 'not-a-uuid' does not match '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'",
        "$.id: 'not-a-uuid' is not a 'uuid'",
        "$.source: 'platform_tests' does not match '^/[a-z_]+$'",
    ]


def test_validate_data_reports_data_violations():
    with pytest.raises(InvalidEvent) as excinfo:
        validate_data("rentezy.test.widget_changed.v1", {"widget_id": "nope", "seq": -1})
    assert excinfo.value.errors == [
        "$.data.seq: -1 is less than the minimum of 0",
        "$.data.widget_id: 'nope' does not match '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'",
        "$.data.widget_id: 'nope' is not a 'uuid'",
        "$.data: 'name' is a required property",
    ]


def test_validate_data_of_unknown_type_raises():
    with pytest.raises(UnknownEventType):
        validate_data("rentezy.test.nothing.v1", {})


def test_parse_event_validates_the_envelope_schema():
    raw = json.dumps(make_event().to_dict() | {"time": "yesterday"}).encode()
    with pytest.raises(InvalidEvent) as excinfo:
        parse_event(raw)
    assert excinfo.value.errors == [
        "$.time: 'yesterday' does not match "
        "'^\\\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\\\d|3[01])T([01]\\\\d|2[0-3]):[0-5]\\\\d:([0-5]\\\\d|60)(\\\\.\\\\d+)?(Z|[+-]00:00)$'"
    ]
    assert parse_event(make_event().to_json()) == make_event()


def test_contracts_dir_precedence(settings, monkeypatch, tmp_path):
    monkeypatch.setenv(CONTRACTS_DIR_ENV, str(tmp_path))
    settings.EVENT_CONTRACTS_DIR = str(TEST_CONTRACTS)
    assert contracts_dir() == TEST_CONTRACTS
    del settings.EVENT_CONTRACTS_DIR
    assert contracts_dir() == tmp_path
    monkeypatch.delenv(CONTRACTS_DIR_ENV)
    repo_root = Path(__file__).resolve().parents[3]
    assert contracts_dir() == repo_root / "contracts" / "events"
