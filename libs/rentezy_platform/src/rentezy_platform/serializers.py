"""Input serializers every service builds its views on (HackSoft's Styleguide:
an `InputSerializer` for the body, a `FilterSerializer` for the query).

- `StrictInputSerializer`: a JSON body with a key the serializer does not
  declare is a 400 `invalid` naming that key, with every other field error of
  the same body: a typo never passes silently and nothing is set by mass
  assignment. Keys the client may read but never write (`id`, `owner_id`...)
  are listed in `read_only_keys` and get a message saying so.
- `StringField` / `StrictEmailField`: JSON strings only (DRF's CharField turns
  `5` into `"5"`).
- `FilterSerializer`: query parameters (`request.query_params`), validated like
  a body: a bad value (an empty one included) is a 400 `invalid` naming the
  parameter. Unknown parameters are ignored (caches and trackers add their
  own). `PageFilterSerializer` adds the paginator's `page` and `page_size`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

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
