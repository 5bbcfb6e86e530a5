"""CloudEvents envelope, event type registry and contract validation."""

from rentezy_platform.events.envelope import CloudEvent, InvalidEvent, utc_now_iso
from rentezy_platform.events.registry import (
    UnknownEventType,
    contracts_dir,
    event_types,
    is_known_type,
    parse_event,
    physical_topic,
    topic_for,
    validate_data,
    validate_envelope,
    validate_event,
)

__all__ = [
    "CloudEvent",
    "InvalidEvent",
    "UnknownEventType",
    "contracts_dir",
    "event_types",
    "is_known_type",
    "parse_event",
    "physical_topic",
    "topic_for",
    "utc_now_iso",
    "validate_data",
    "validate_envelope",
    "validate_event",
]
