"""Money: integer minor units in storage and events, decimal strings in the
API (`145000` ↔ `"1450.00"`). Every supported currency has two decimal places.

`MoneyField` is the input (and output) field of an amount a client sets (a
property's rent, a lease's terms): a decimal string or JSON number with at
most two places, more than 0 (or 0 with `allow_zero`), at most
MONEY_MAX_MINOR; its OpenAPI pattern admits exactly what it accepts.
`AmountField` shows a computed amount (responses only).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MONEY_DECIMAL_PLACES = 2
# At most 1,000,000.00 of any supported currency (a month's rent, a deposit, a fee).
MONEY_MAX_MINOR = 1_000_000_00


def to_minor(amount: Decimal) -> int:
    """`Decimal("1450.00")` → 145000 (the amount has at most two places)."""
    return int(amount.scaleb(MONEY_DECIMAL_PLACES).to_integral_exact())


def format_minor(minor: int) -> str:
    """145000 → `"1450.00"`."""
    return f"{Decimal(minor).scaleb(-MONEY_DECIMAL_PLACES):.{MONEY_DECIMAL_PLACES}f}"


@extend_schema_field({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "1450.00"})
class AmountField(serializers.Field):
    """An amount in minor units, shown as a decimal string (responses only)."""

    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: int) -> str:
        return format_minor(value)


_DECIMAL_STRING = re.compile(r"[+-]?[0-9]{1,20}(\.[0-9]{1,20})?")


def decimal_or_none(data: object) -> Decimal | None:
    """A finite decimal from a JSON number or a plain decimal string
    (`"1450.00"`; no exponent, separators, NaN or Infinity), else None."""
    if isinstance(data, bool):
        return None
    if isinstance(data, int):
        return Decimal(data)
    if isinstance(data, float):
        # repr() is the shortest string that reads back as the same float: 0.1 → "0.1".
        return Decimal(repr(data)) if math.isfinite(data) else None
    if isinstance(data, str) and _DECIMAL_STRING.fullmatch(data.strip()):
        try:
            return Decimal(data.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid ones
            return None
    return None


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# Exactly what MoneyField accepts as a string, bounds included (0 < amount <=
# MONEY_MAX_MINOR / 100; `allow_zero` for deposits); digits without leading zeros.
_MONEY_MAX = format_minor(MONEY_MAX_MINOR)
_MONEY_DIGITS = len(_MONEY_MAX.split(".")[0]) - 1
MONEY_PATTERN = rf"^({re.escape(_MONEY_MAX)}|[1-9][0-9]{{0,{_MONEY_DIGITS - 1}}}\.[0-9]{{2}}|0\.(0[1-9]|[1-9][0-9]))$"
MONEY_OR_ZERO_PATTERN = (
    rf"^({re.escape(_MONEY_MAX)}|[1-9][0-9]{{0,{_MONEY_DIGITS - 1}}}\.[0-9]{{2}}|0\.[0-9]{{2}})$"
)


class MoneyField(serializers.Field):
    """An amount as the API shows it (`"1450.00"`) ↔ integer minor units."""

    default_error_messages = {
        "invalid": 'Enter an amount as a decimal string such as "1450.00".',
        "max_decimal_places": "Use at most 2 decimal places.",
        "positive": "Must be greater than 0.",
        "not_negative": "Must be 0 or more.",
        "max_value": f"Must be at most {format_minor(MONEY_MAX_MINOR)}.",
    }

    def __init__(self, *, allow_zero: bool = False, **kwargs) -> None:
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> int:
        value = decimal_or_none(data)
        if value is None:
            self.fail("invalid")
        if value < 0 or (value == 0 and not self.allow_zero):
            self.fail("not_negative" if self.allow_zero else "positive")
        if value > Decimal(MONEY_MAX_MINOR).scaleb(-MONEY_DECIMAL_PLACES):
            self.fail("max_value")
        if decimal_places(value) > MONEY_DECIMAL_PLACES:
            self.fail("max_decimal_places")
        return to_minor(value)

    def to_representation(self, value: int) -> str:
        return format_minor(value)


class MoneySchema(OpenApiSerializerFieldExtension):
    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "example": "1450.00"}
        pattern = MONEY_OR_ZERO_PATTERN if self.target.allow_zero else MONEY_PATTERN
        return {"type": "string", "pattern": pattern, "example": "1450.00"}
