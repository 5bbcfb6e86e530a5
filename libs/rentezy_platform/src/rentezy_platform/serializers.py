"""Input serializers every service builds its views on (HackSoft's Styleguide:
an `InputSerializer` for the body, a `FilterSerializer` for the query).

- `StrictInputSerializer`: a JSON body with a key the serializer does not
  declare is a 400 `invalid` naming that key, with every other field error of
  the same body: a typo never passes silently and nothing is set by mass
  assignment. Keys the client may read but never write (`id`, `owner_id`...)
  are listed in `read_only_keys` and get a message saying so.
- `StringField` / `StrictEmailField` / `StrictUUIDField`: JSON strings only
  (DRF's CharField turns `5` into `"5"`, its UUIDField into a UUID).
- `FilterSerializer`: query parameters (`request.query_params`), validated like
  a body: a bad value (an empty one included) is a 400 `invalid` naming the
  parameter. Unknown parameters are ignored (caches and trackers add their
  own). `PageFilterSerializer` adds the paginator's `page` and `page_size`.
- `StrictIntegerField`, `StrictDateField` (`YYYY-MM-DD`, years 2000-2099),
  `StrictDateTimeField` (ISO 8601 with an explicit offset, years 2000-2099):
  the JSON type and format the schema promises, nothing DRF would coerce.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

READ_ONLY_MESSAGE = "This field cannot be set."
UNKNOWN_MESSAGE = "Unknown field."


class _StringsOnly:
    """JSON strings only: DRF's CharField would turn `5` into `"5"`."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StringField(_StringsOnly, serializers.CharField):
    pass


class StrictEmailField(_StringsOnly, serializers.EmailField):
    pass


class StrictUUIDField(_StringsOnly, serializers.UUIDField):
    """UUID strings only: DRF's UUIDField turns the JSON integer `5` into
    00000000-0000-0000-0000-000000000005."""


class StrictIntegerField(serializers.IntegerField):
    """JSON integers only: not `"3"`, `3.0` or `true`."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


# Years 2000-2099 are EARLIEST_DATE..LATEST_DATE.
@extend_schema_field(
    {"type": "string", "format": "date", "pattern": r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"}
)
class StrictDateField(serializers.DateField):
    """`YYYY-MM-DD` strings only, from 2000-01-01 to 2099-12-31."""

    default_error_messages = {
        **serializers.DateField.default_error_messages,
        "invalid": "Enter a date as YYYY-MM-DD.",
        "range": f"Must be between {EARLIEST_DATE} and {LATEST_DATE}.",
    }

    def to_internal_value(self, value) -> date:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            self.fail("invalid")
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.fail("invalid")
        if not EARLIEST_DATE <= parsed <= LATEST_DATE:
            self.fail("range")
        return parsed


_DATETIME = re.compile(
    r"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": "^" + _DATETIME.pattern + "$",
        "example": "2027-01-15T14:00:00Z",
    }
)
class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 timestamp with an explicit offset (`Z` or `+02:00`): a
    time without one would be read in some zone the client did not choose.
    Years 2000-2099; returned as an aware UTC datetime."""

    default_error_messages = {
        **serializers.DateTimeField.default_error_messages,
        "invalid": ('Enter a date and time with its offset, as ISO 8601: "2027-01-15T14:00:00Z".'),
    }

    def to_internal_value(self, value) -> datetime:
        if not isinstance(value, str) or not _DATETIME.fullmatch(value):
            self.fail("invalid")
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.fail("invalid")
        return parsed.astimezone(UTC)


class StrictInputSerializer(serializers.Serializer):
    """A request body that may carry the declared fields and nothing else."""

    # Keys of the resource a client sees in responses but may never write.
    read_only_keys: ClassVar[frozenset[str]] = frozenset()

    def _refused_keys(self, data: Any) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}  # DRF reports "Expected a dictionary" itself
        return {
            str(name): [READ_ONLY_MESSAGE if name in self.read_only_keys else UNKNOWN_MESSAGE]
            for name in data
            if name not in self.fields
        }

    def to_internal_value(self, data: Any) -> Any:
        refused = self._refused_keys(data)
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Every refused key is reported along with the other errors.
            if refused and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **refused}) from None
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return values


class FilterSerializer(serializers.Serializer):
    """Query parameters of a list or export view:

        class FilterSerializer(platform.FilterSerializer):
            owner = serializers.ChoiceField(choices=["me"], required=False)

        filters = self.FilterSerializer.from_query(request.query_params)

    Declare every parameter with `required=False` (or a default). One value
    per parameter (the last one given)."""

    @classmethod
    def from_query(cls, query_params: Mapping[str, Any]) -> dict[str, Any]:
        """The validated parameters; ValidationError (400 `invalid`) otherwise."""
        # A plain dict, not the QueryDict: DRF reads a QueryDict as an HTML form,
        # where an empty value means "absent"; here `?limit=` is a bad limit.
        data = query_params.dict() if hasattr(query_params, "dict") else dict(query_params)
        serializer = cls(data=data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def _positive_integer(help_text: str) -> serializers.IntegerField:
    message = "A positive integer is required."
    return serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=help_text,
        error_messages={"invalid": message, "min_value": message, "max_string_length": message},
    )


class PageFilterSerializer(FilterSerializer):
    """`page` and `page_size` of rentezy_platform.pagination.PageNumberPagination
    (which reads them itself): in a list view's FilterSerializer they are
    documented in the schema and refused with the other parameters."""

    page = _positive_integer("1, 2, ...; a page past the last one is 404.")
    page_size = _positive_integer("Default 20; values above 100 are capped to 100.")
