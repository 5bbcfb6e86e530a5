"""rentezy_platform's strict serializer fields and money helpers, as pure
functions (no database)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rentezy_platform.money import AmountField, format_minor, to_minor
from rentezy_platform.serializers import (
    StrictDateField,
    StrictDateTimeField,
    StrictIntegerField,
    StrictUUIDField,
)
from rest_framework import serializers

DATETIME_MESSAGE = 'Enter a date and time with its offset, as ISO 8601: "2027-01-15T14:00:00Z".'
DATE_MESSAGE = "Enter a date as YYYY-MM-DD."
DATE_RANGE = "Must be between 2000-01-01 and 2099-12-31."


def refused(field: serializers.Field, value: object) -> list[str]:
    with pytest.raises(serializers.ValidationError) as info:
        field.run_validation(value)
    return [str(message) for message in info.value.detail]


# --- StrictDateTimeField ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-15T14:00:00Z", datetime(2027, 1, 15, 14, 0, tzinfo=UTC)),
        ("2027-01-15T14:00Z", datetime(2027, 1, 15, 14, 0, tzinfo=UTC)),
        ("2027-01-15T14:00:00+02:00", datetime(2027, 1, 15, 12, 0, tzinfo=UTC)),
        ("2027-01-15T14:00:00-05:30", datetime(2027, 1, 15, 19, 30, tzinfo=UTC)),
        ("2027-01-15T00:30:00+01:00", datetime(2027, 1, 14, 23, 30, tzinfo=UTC)),
        ("2027-01-15T14:00:00.123456Z", datetime(2027, 1, 15, 14, 0, 0, 123456, tzinfo=UTC)),
        ("2000-01-01T00:00:00Z", datetime(2000, 1, 1, tzinfo=UTC)),
        ("2099-12-31T23:59:59Z", datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_a_timestamp_with_its_offset_is_read_as_utc(text, expected):
    parsed = StrictDateTimeField().run_validation(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "2027-01-15T14:00:00",  # no offset: whose 14:00?
        "2027-01-15T14:00",
        "2027-01-15",
        "2027-01-15 14:00:00Z",
        "2027-01-15t14:00:00z",
        "2027-01-15T14:00:00+0200",
        "2027-01-15T14:00:00+2:00",
        "2027-01-15T14:00:00+25:00",
        "2027-02-30T10:00:00Z",
        "2027-13-01T10:00:00Z",
        "2027-01-15T25:00:00Z",
        "2027-01-15T14:60:00Z",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "02027-01-15T14:00:00Z",
        "2027-01-15T14:00:00.1234567Z",
        "",
        " 2027-01-15T14:00:00Z",
        1800000000,
        1800000000.5,
        True,
        ["2027-01-15T14:00:00Z"],
        {"at": "2027-01-15T14:00:00Z"},
        datetime(2027, 1, 15, 14, tzinfo=UTC),
    ],
)
def test_anything_else_is_invalid(value):
    assert refused(StrictDateTimeField(), value) == [DATETIME_MESSAGE]


def test_null_is_refused_unless_allowed():
    assert refused(StrictDateTimeField(), None) == ["This field may not be null."]
    assert StrictDateTimeField(allow_null=True).run_validation(None) is None


# --- StrictDateField ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-01", date(2027, 3, 1)),
        ("2028-02-29", date(2028, 2, 29)),
        ("2000-01-01", date(2000, 1, 1)),
        ("2099-12-31", date(2099, 12, 31)),
    ],
)
def test_a_date_is_read(text, expected):
    assert StrictDateField().run_validation(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2027-02-30",
        "2027-02-29",
        "2027-13-01",
        "2027-3-1",
        "2027/03/01",
        "20270301",
        "2027-03-01T00:00:00Z",
        "٢٠٢٧-٠٣-٠١",  # digits, but not ASCII ones
        "",
        20270301,
        True,
        date(2027, 3, 1),
    ],
)
def test_a_bad_date_is_invalid(value):
    assert refused(StrictDateField(), value) == [DATE_MESSAGE]


@pytest.mark.parametrize("text", ["1999-12-31", "2100-01-01", "0001-01-01", "9999-12-31"])
def test_a_date_outside_2000_to_2099_is_refused(text):
    assert refused(StrictDateField(), text) == [DATE_RANGE]


# --- StrictIntegerField / StrictUUIDField ---------------------------------------------


def test_integers_are_json_integers():
    field = StrictIntegerField(min_value=1, max_value=500)
    assert field.run_validation(1) == 1
    assert field.run_validation(500) == 500
    for value in ("3", 3.0, 3.5, True, False, [3], "three"):
        assert refused(field, value) == ["A valid integer is required."], value
    assert refused(field, 0) == ["Ensure this value is greater than or equal to 1."]
    assert refused(field, 501) == ["Ensure this value is less than or equal to 500."]


def test_uuids_are_json_strings():
    field = StrictUUIDField()
    text = "5f0c6e8e-2b7a-4d8e-9b1a-0c2d3e4f5a6b"
    assert str(field.run_validation(text)) == text
    assert str(field.run_validation(text.upper())) == text
    for value in (5, 2**100, True, "5", "nope", [text]):
        assert refused(field, value) == ["Must be a valid UUID."], value


# --- money --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "text"),
    [
        (145000, "1450.00"),
        (0, "0.00"),
        (5, "0.05"),
        (99, "0.99"),
        (100, "1.00"),
        (-250, "-2.50"),
        (123456789012345678, "1234567890123456.78"),
    ],
)
def test_minor_units_format_as_two_decimals_and_back(minor, text):
    assert format_minor(minor) == text
    assert to_minor(Decimal(text)) == minor
    assert isinstance(to_minor(Decimal(text)), int)


@pytest.mark.parametrize(("amount", "minor"), [("1450", 145000), ("0.5", 50), ("12.3", 1230)])
def test_amounts_with_fewer_places_convert(amount, minor):
    assert to_minor(Decimal(amount)) == minor


def test_the_amount_field_shows_minor_units_read_only():
    field = AmountField(source="monthly_rent_minor")
    assert field.read_only is True
    assert field.to_representation(345000) == "3450.00"

    class Out(serializers.Serializer):
        monthly_rent = AmountField(source="monthly_rent_minor")

    class Row:
        monthly_rent_minor = 120050

    assert Out(Row()).data == {"monthly_rent": "1200.50"}
    # Read-only: never taken from a body.
    body = Out(data={"monthly_rent": "1.00"})
    assert body.is_valid()
    assert body.validated_data == {}
