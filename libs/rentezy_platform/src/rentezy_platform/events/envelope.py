"""The CloudEvents 1.0 envelope every RentEzy integration event travels in.

Structured content mode (the whole envelope is the JSON message value), so an
event read from Kafka, the outbox table or a dead-letter topic is
self-describing. Parsing is strict on the attributes we rely on and tolerant
of extension attributes we do not know (a newer producer may add some).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SPECVERSION = "1.0"
DATACONTENTTYPE = "application/json"

# Attributes this class models explicitly; anything else in an incoming
# envelope is an extension attribute kept in `extensions`.
_KNOWN_ATTRIBUTES = frozenset(
    {
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "subject",
        "datacontenttype",
        "data",
        "requestid",
        "traceparent",
    }
)
_REQUIRED_STRINGS = ("id", "source", "type", "time", "subject")


class InvalidEvent(ValueError):
    """An envelope or its data does not satisfy the contract.

    `errors` lists every problem found as human-readable strings (JSON path
    first), so a dead-letter header or a log line says exactly what is wrong.
    """

    def __init__(self, message: str, *, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors: list[str] = errors if errors is not None else [message]


def utc_now_iso() -> str:
    """RFC 3339 UTC timestamp with microseconds and a `Z` suffix."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class CloudEvent:
    id: str
    source: str
    type: str
    time: str
    subject: str
    data: dict[str, Any]
    specversion: str = SPECVERSION
    datacontenttype: str = DATACONTENTTYPE
    requestid: str | None = None
    traceparent: str | None = None
    # Unknown extension attributes of an incoming event, preserved verbatim.
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        *,
        type: str,
        subject: str,
        data: Mapping[str, Any],
        source: str,
        requestid: str | None = None,
        traceparent: str | None = None,
    ) -> CloudEvent:
        """A fresh event: new uuid4 id and the current UTC time."""
        return cls(
            id=str(uuid.uuid4()),
            source=source,
            type=type,
            time=utc_now_iso(),
            subject=subject,
            data=dict(data),
            requestid=requestid,
            traceparent=traceparent,
        )

    @property
    def timestamp(self) -> datetime:
        return datetime.fromisoformat(self.time)

    def to_dict(self) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "subject": self.subject,
            "datacontenttype": self.datacontenttype,
            "data": self.data,
        }
        # Optional attributes are omitted rather than null: CloudEvents
        # attributes have no null value.
        if self.requestid is not None:
            envelope["requestid"] = self.requestid
        if self.traceparent is not None:
            envelope["traceparent"] = self.traceparent
        for name, value in self.extensions.items():
            envelope.setdefault(name, value)
        return envelope

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, envelope: Any) -> CloudEvent:
        if not isinstance(envelope, Mapping):
            raise InvalidEvent(
                f"event envelope must be a JSON object, got {type(envelope).__name__}"
            )
        errors: list[str] = []
        if envelope.get("specversion") != SPECVERSION:
            errors.append(
                f"specversion: must be {SPECVERSION!r}, got {envelope.get('specversion')!r}"
            )
        for name in _REQUIRED_STRINGS:
            value = envelope.get(name)
            if not isinstance(value, str) or not value:
                errors.append(f"{name}: required non-empty string, got {value!r}")
        if not isinstance(envelope.get("data"), Mapping):
            errors.append(f"data: required JSON object, got {envelope.get('data')!r}")
        datacontenttype = envelope.get("datacontenttype", DATACONTENTTYPE)
        if datacontenttype != DATACONTENTTYPE:
            errors.append(f"datacontenttype: must be {DATACONTENTTYPE!r}, got {datacontenttype!r}")
        for name in ("requestid", "traceparent"):
            value = envelope.get(name)
            if value is not None and not isinstance(value, str):
                errors.append(f"{name}: must be a string, got {value!r}")
        if errors:
            raise InvalidEvent("invalid event envelope: " + "; ".join(errors), errors=errors)
        return cls(
            id=envelope["id"],
            source=envelope["source"],
            type=envelope["type"],
            time=envelope["time"],
            subject=envelope["subject"],
            data=dict(envelope["data"]),
            specversion=envelope["specversion"],
            datacontenttype=datacontenttype,
            requestid=envelope.get("requestid"),
            traceparent=envelope.get("traceparent"),
            extensions={k: v for k, v in envelope.items() if k not in _KNOWN_ATTRIBUTES},
        )

    @classmethod
    def from_json(cls, raw: str | bytes | bytearray | None) -> CloudEvent:
        if raw is None:
            raise InvalidEvent("event envelope is empty (null message value)")
        try:
            envelope = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidEvent(f"event envelope is not valid JSON: {exc}") from exc
        return cls.from_dict(envelope)
