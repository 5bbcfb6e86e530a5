"""The real contracts/events directory: every file is a valid 2020-12 schema
and real events validate through rentezy_platform.events."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from rentezy_platform.events import (
    CloudEvent,
    InvalidEvent,
    event_types,
    topic_for,
    validate_event,
)

REAL_CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events"
SCHEMA_FILES = sorted(REAL_CONTRACTS.glob("*.json"))


@pytest.fixture
def real_contracts(settings):
    settings.EVENT_CONTRACTS_DIR = str(REAL_CONTRACTS)


def test_real_contracts_dir_has_exactly_the_catalog_types(real_contracts):
    # The catalog of EVENTS.md, one schema per type.
    assert event_types() == frozenset(
        {
            "rentezy.user.registered.v1",
            "rentezy.user.updated.v1",
            "rentezy.property.created.v1",
            "rentezy.property.updated.v1",
            "rentezy.property.archived.v1",
            "rentezy.booking.viewing_booked.v1",
            "rentezy.booking.viewing_cancelled.v1",
            "rentezy.booking.slot_cancelled.v1",
            "rentezy.booking.rental_requested.v1",
            "rentezy.booking.rental_confirmed.v1",
            "rentezy.booking.rental_rejected.v1",
            "rentezy.booking.rental_cancelled.v1",
            "rentezy.booking.rental_expired.v1",
            "rentezy.payment.invoice_issued.v1",
            "rentezy.payment.payment_succeeded.v1",
            "rentezy.payment.payment_failed.v1",
            "rentezy.payment.late_fee_applied.v1",
            "rentezy.payment.rent_reminder_due.v1",
            "rentezy.chat.message_sent.v1",
        }
    )
    assert {topic_for(t) for t in event_types()} == {
        "rentezy.user",
        "rentezy.property",
        "rentezy.booking",
        "rentezy.payment",
        "rentezy.chat",
    }


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[p.name for p in SCHEMA_FILES])
def test_every_contract_file_is_a_valid_2020_12_schema(path):
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def registered(**data_overrides) -> CloudEvent:
    user_id = str(uuid.uuid4())
    return CloudEvent.new(
        type="rentezy.user.registered.v1",
        subject=user_id,
        data={
            "user_id": user_id,
            "email": "tenant@example.com",
            "full_name": "Ada Tenant",
            "role": "tenant",
            **data_overrides,
        },
        source="/auth_service",
        requestid="0f8fad5bd9cb469fa16570867728950e",
    )


def test_user_registered_sample_validates(real_contracts):
    validate_event(registered())
    # Producers may add fields (tolerant readers): still valid.
    validate_event(registered(locale="en-GB"))


def test_user_registered_with_a_bad_role_is_rejected(real_contracts):
    with pytest.raises(InvalidEvent) as excinfo:
        validate_event(registered(role="superuser"))
    assert excinfo.value.errors == [
        "$.data.role: 'superuser' is not one of ['tenant', 'landlord', 'admin']"
    ]


def test_every_real_contract_has_a_compiled_fast_validator(real_contracts):
    # The hot path (jsonschema-rs) must resolve every contract, $refs included;
    # a None here would silently fall back to the slow reference validator.
    from rentezy_platform.events.registry import _catalog

    catalog = _catalog()
    assert sorted(name for name in catalog.schemas if catalog.fast_validator(name) is None) == []


def test_fast_and_reference_validators_agree_on_a_bad_event(real_contracts):
    from rentezy_platform.events.registry import _catalog

    catalog = _catalog()
    good = {
        "user_id": str(uuid.uuid4()),
        "email": "a@example.com",
        "full_name": "A",
        "role": "tenant",
    }
    name = "rentezy.user.registered.v1.schema.json"
    for instance, valid in [
        (good, True),
        ({**good, "user_id": "nope"}, False),
        ({**good, "role": "owner"}, False),
        ({k: v for k, v in good.items() if k != "email"}, False),
    ]:
        assert catalog.fast_validator(name).is_valid(instance) is valid
        assert catalog.validator(name).is_valid(instance) is valid
