"""Money: integer minor units in storage and events, decimal strings in the
API (`145000` ↔ `"1450.00"`). Every supported currency has two decimal places.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MONEY_DECIMAL_PLACES = 2


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
