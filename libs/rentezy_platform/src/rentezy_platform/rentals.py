"""The rules of a rental's dates that every service taking them applies alike
(booking_service for a reservation, rent_service for a lease a landlord opens
directly): [start_date, end_date) starts today or later and lasts from one
month to LONGEST_RENTAL_YEARS years. A breach is a 400 `invalid` naming the
field. The 409s of a property that cannot be rented for those dates are here
too, with one code each across the services."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from rentezy_platform.errors import Conflict, InvalidInput

LONGEST_RENTAL_YEARS = 5


def rental_dates_check(*, start_date: date, end_date: date, today: date) -> None:
    errors: dict[str, list[str]] = {}
    if start_date < today:
        errors["start_date"] = ["Must be today or later."]
    if end_date <= start_date:
        errors["end_date"] = ["Must be after start_date."]
    elif end_date < start_date + relativedelta(months=1):
        errors["end_date"] = ["A rental lasts at least one month."]
    elif end_date > start_date + relativedelta(years=LONGEST_RENTAL_YEARS):
        errors["end_date"] = [f"A rental lasts at most {LONGEST_RENTAL_YEARS} years."]
    if errors:
        raise InvalidInput(fields=errors)


class PropertyNotListed(Conflict):
    default_code = "property_not_listed"
    default_message = "The property is not listed: publish it first."


class PropertyUnavailable(Conflict):
    """Dates that overlap an active reservation (booking) or lease (rent)."""

    default_code = "property_unavailable"
    default_message = "The property is already taken for some of these dates."
