"""`GET /api/search/properties` (public): validate the query parameters, call
the one selector, serialize the page. Errors render through the platform
handler as `{code, message, fields?}`.

Decisions the contract leaves open:
- An empty parameter (`?city=`) is the same as an absent one.
- `page_size` above 100 is capped to 100 (as everywhere in the API); 0 or less is 400.
- A page past the end is 200 with empty `results` (the count says how many there are);
  pages reaching beyond the first 10,000 results are 400 (narrow the search instead).
- Facets count the whole match (every filter applied), not only the page.
- Search engine down → 503 `search_unavailable`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field
from rentezy_platform.errors import ApplicationError
from rentezy_platform.openapi import error_schema
from rentezy_platform.pagination import page_url
from rentezy_platform.serializers import FilterSerializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from search import selectors
from search.engine import SearchUnavailable
from search.index import MAX_RESULT_WINDOW
from search.query import (
    DEFAULT_PAGE_SIZE,
    PROPERTY_TYPES,
    SORT_RELEVANCE,
    SORTS,
    GeoFilter,
    SearchPage,
    SearchParams,
)

MAX_QUERY_LENGTH = 200
MAX_AMENITIES = 20
MAX_AMENITY_LENGTH = 64
MAX_RADIUS_KM = 500
MAX_BEDROOMS = 100
_MONEY = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")


@extend_schema_field({"type": "string", "pattern": _MONEY.pattern, "example": "1500.00"})
class MoneyField(serializers.Field):
    """A decimal amount ("1500", "1500.5", "1500.00") as integer minor units."""

    default_error_messages = {
        "invalid": "Enter an amount such as 1500 or 1500.00 (at most two decimals, not negative)."
    }

    def to_internal_value(self, data: Any) -> int:
        text = str(data).strip()
        if not _MONEY.fullmatch(text):
            self.fail("invalid")
        units, _, cents = text.partition(".")
        return int(units) * 100 + int(cents.ljust(2, "0"))

    def to_representation(self, value: int) -> str:
        return f"{value // 100}.{value % 100:02d}"


class FiniteFloatField(serializers.FloatField):
    """FloatField refusing NaN and infinities (which slip past min/max checks)."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


@extend_schema_field(
    {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": MAX_RADIUS_KM}
)
class RadiusField(FiniteFloatField):
    """Kilometres: more than 0, at most MAX_RADIUS_KM (checked here rather than
    by min/max validators, whose schema would say that 0 is fine)."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if value > MAX_RADIUS_KM:
            self.fail("max_value", max_value=MAX_RADIUS_KM)
        return value


@extend_schema_field({"type": "string", "example": "parking,balcony"})
class CommaListField(serializers.Field):
    """`a,b,c` → ["a", "b", "c"] (trimmed, blanks and repeats dropped)."""

    def __init__(self, *, max_items: int, max_item_length: int, **kwargs: Any) -> None:
        self.max_items = max_items
        self.max_item_length = max_item_length
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> tuple[str, ...]:
        items: list[str] = []
        for raw in str(data).split(","):
            item = raw.strip()
            if item and item not in items:
                items.append(item)
        if len(items) > self.max_items:
            raise serializers.ValidationError(f"At most {self.max_items} values.")
        if any(len(item) > self.max_item_length for item in items):
            raise serializers.ValidationError(
                f"Each value has at most {self.max_item_length} characters."
            )
        return tuple(items)

    def to_representation(self, value: Any) -> str:
        return ",".join(value)


class SearchResultSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    city = serializers.CharField()
    monthly_rent = serializers.CharField(help_text='Decimal string, e.g. "1450.00".')
    currency = serializers.CharField()
    bedrooms = serializers.IntegerField()
    bathrooms = serializers.FloatField()
    property_type = serializers.ChoiceField(choices=PROPERTY_TYPES)
    amenities = serializers.ListField(child=serializers.CharField())
    thumbnail_url = serializers.URLField(allow_null=True)
    available_from = serializers.DateField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)


# A facet value has the type of the field it counts: `bedrooms` is an integer
# in the results, so it is one in its facet too; the others are strings.
class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField(min_value=1)


class PropertyTypeFacetValueSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=PROPERTY_TYPES)
    count = serializers.IntegerField(min_value=1)


class IntegerFacetValueSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=0)
    count = serializers.IntegerField(min_value=1)


class FacetsSerializer(serializers.Serializer):
    city = FacetValueSerializer(many=True)
    property_type = PropertyTypeFacetValueSerializer(many=True)
    bedrooms = IntegerFacetValueSerializer(many=True)
    amenities = FacetValueSerializer(many=True)


class SearchPageSerializer(serializers.Serializer):
    """The response: a SearchPage plus its `next` and `previous` links."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchResultSerializer(many=True)
    facets = FacetsSerializer()


class PropertySearchApi(APIView):
    # Public: the caller's identity plays no part (the gateway still signs).
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class FilterSerializer(FilterSerializer):
        q = serializers.CharField(
            required=False,
            max_length=MAX_QUERY_LENGTH,
            help_text="Full text over title, description, city and amenities (typos tolerated).",
        )
        city = serializers.CharField(
            required=False, max_length=100, help_text="Exact city, any letter case."
        )
        property_type = serializers.ChoiceField(choices=PROPERTY_TYPES, required=False)
        min_rent = MoneyField(required=False, help_text='Monthly rent at least, e.g. "1500.00".')
        max_rent = MoneyField(required=False, help_text='Monthly rent at most, e.g. "2500".')
        min_bedrooms = serializers.IntegerField(required=False, min_value=0, max_value=MAX_BEDROOMS)
        amenities = CommaListField(
            required=False,
            max_items=MAX_AMENITIES,
            max_item_length=MAX_AMENITY_LENGTH,
            help_text="Comma-separated; every one is required.",
        )
        lat = FiniteFloatField(required=False, min_value=-90, max_value=90)
        lng = FiniteFloatField(required=False, min_value=-180, max_value=180)
        radius_km = RadiusField(
            required=False,
            help_text="With lat and lng: within this distance (0 < radius_km <= 500).",
        )
        available_from = serializers.DateField(
            required=False,
            input_formats=["iso-8601"],
            help_text="Available on or before this date (or with no date).",
        )
        sort = serializers.ChoiceField(choices=SORTS, required=False, default=SORT_RELEVANCE)
        page = serializers.IntegerField(required=False, min_value=1, default=1)
        page_size = serializers.IntegerField(
            required=False,
            min_value=1,
            default=DEFAULT_PAGE_SIZE,
            help_text="Default 20; values above 100 are capped to 100.",
        )

        def validate_radius_km(self, value: float) -> float:
            if value <= 0:
                raise serializers.ValidationError("Must be greater than 0.")
            return value

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            errors: dict[str, list[str]] = {}
            geo = ("lat", "lng", "radius_km")
            given = [name for name in geo if name in attrs]
            if given and len(given) < len(geo):
                for name in geo:
                    if name not in attrs:
                        errors[name] = ["Required with " + " and ".join(given) + "."]
            min_rent, max_rent = attrs.get("min_rent"), attrs.get("max_rent")
            if min_rent is not None and max_rent is not None and min_rent > max_rent:
                errors["max_rent"] = ["Must not be less than min_rent."]
            attrs["page_size"] = min(attrs["page_size"], settings.SEARCH_MAX_PAGE_SIZE)
            if attrs["page"] * attrs["page_size"] > MAX_RESULT_WINDOW:
                errors["page"] = [
                    f"Only the first {MAX_RESULT_WINDOW} results can be paged through; "
                    "narrow the search."
                ]
            if errors:
                raise serializers.ValidationError(errors)
            return attrs

    @extend_schema(
        tags=["search"],
        summary="Search listed properties",
        description=(
            "Full text, filters, geo radius, sorting and facets over listed properties. "
            "Facets count every match; each is a list of `{value, count}`, most frequent first. "
            "A page past the end is 200 with empty results."
        ),
        parameters=[FilterSerializer],
        responses={
            200: SearchPageSerializer,
            400: error_schema("`invalid` with `fields`."),
            503: error_schema("`search_unavailable`: the search engine is down."),
        },
    )
    def get(self, request: Request) -> Response:
        # An empty parameter means "not given".
        query = {key: value for key, value in request.query_params.items() if value.strip()}
        params = _search_params(self.FilterSerializer.from_query(query))
        try:
            page = selectors.property_search(params=params)
        except SearchUnavailable as exc:
            raise ApplicationError(
                "search_unavailable",
                "Search is temporarily unavailable; please try again shortly.",
                status=503,
            ) from exc
        body = {
            "count": page.count,
            **_page_links(request, params, page),
            "results": page.results,
            "facets": page.facets,
        }
        return Response(SearchPageSerializer(body).data)


def _search_params(filters: dict[str, Any]) -> SearchParams:
    geo = None
    if "lat" in filters:
        geo = GeoFilter(lat=filters["lat"], lng=filters["lng"], radius_km=filters["radius_km"])
    return SearchParams(
        q=filters.get("q", ""),
        city=filters.get("city"),
        property_type=filters.get("property_type"),
        min_rent_minor=filters.get("min_rent"),
        max_rent_minor=filters.get("max_rent"),
        min_bedrooms=filters.get("min_bedrooms"),
        amenities=filters.get("amenities", ()),
        geo=geo,
        available_from=filters.get("available_from"),
        sort=filters["sort"],
        page=filters["page"],
        page_size=filters["page_size"],
    )


def _page_links(request: Request, params: SearchParams, page: SearchPage) -> dict[str, str | None]:
    next_url = previous_url = None
    if params.page * params.page_size < page.count:
        next_url = page_url(request, params.page + 1)
    if params.page > 1:
        previous_url = page_url(request, params.page - 1)
    return {"next": next_url, "previous": previous_url}
