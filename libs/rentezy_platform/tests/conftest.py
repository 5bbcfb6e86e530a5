from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaException
from rentezy_platform.events import topic_for
from rentezy_platform.kafka.topics import delete_topics, dlq_topic, ensure_topics
from rentezy_platform.testing import unique_event_type, write_contracts

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parents[2]
MANAGE_PY = TESTS_DIR / "manage.py"
KAFKA_SH = REPO_ROOT / "scripts" / "infra" / "kafka.sh"


def widget_changed_schema(event_type: str) -> dict[str, Any]:
    """Data schema of a per-test widget event type (same shape as
    tests/contracts/rentezy.test.widget_changed.v1.schema.json)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://schemas.rentezy.dev/events/{event_type}.schema.json",
        "type": "object",
        "required": ["widget_id", "name", "seq"],
        "properties": {
            "widget_id": {"$ref": "common.schema.json#/$defs/uuid"},
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "seq": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": True,
    }


@pytest.fixture
def event_type(tmp_path: Path, settings: Any) -> Iterator[str]:
    """A fresh event type whose topic (and `.dlq`) exists for this test only,
    so no earlier test or run can leave messages in it."""
    new_type = unique_event_type()
    settings.EVENT_CONTRACTS_DIR = write_contracts(
        tmp_path / "contracts", {new_type: widget_changed_schema(new_type)}
    )
    topic = topic_for(new_type)
    ensure_topics([topic], partitions=3)
    yield new_type
    try:
        delete_topics([topic, dlq_topic(topic)])
    except KafkaException:
        pass  # best-effort cleanup of a throwaway topic


@pytest.fixture
def topic(event_type: str) -> str:
    return topic_for(event_type)


def kafka_control(action: str) -> None:
    """Stop or start the real dev broker with the infrastructure script."""
    subprocess.run(["bash", str(KAFKA_SH), action], check=True, timeout=180)
