"""Thin DRF views of property_service: validate input, call one service or
selector, serialize the result. Errors render through the platform handler as
`{code, message, fields?}`.

Public routes (through the gateway) are API.md's Properties table;
`GET /internal/properties/export` is search_service's reindexing source
(signed with the role `service`, never routed by the gateway).

Input is strict: strings must be JSON strings and counts JSON integers; money
is a decimal string (or a JSON number) with at most two places; any field that
is not writable (`id`, `owner_id`, `version`...) or unknown is a 400, so a
typo never passes silently and nothing is set by mass assignment.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rentezy_platform.errors import ApplicationError, Forbidden, NotAuthenticated
from rentezy_platform.money import MoneyField, decimal_or_none
from rentezy_platform.openapi import INVALID, NOT_AUTHENTICATED, error_schema
from rentezy_platform.pagination import PageNumberPagination
from rentezy_platform.serializers import (
    FilterSerializer,
    PageFilterSerializer,
    StrictDateField,
    StrictInputSerializer,
    StrictIntegerField,
    StringField,
)
from rentezy_platform.trust import IsInternalService
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from properties import selectors, services
from properties.countries import COUNTRY_CODES
from properties.events import property_document
from properties.models import (
    ADDRESS_MAX_LENGTH,
    AREA_SQFT_MAX,
    BATHROOMS_MAX,
    BEDROOMS_MAX,
    CITY_MAX_LENGTH,
    CLIENT_STATUSES,
    COORDINATE_DECIMAL_PLACES,
    DESCRIPTION_MAX_LENGTH,
    POSTAL_CODE_MAX_LENGTH,
    STATE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Amenity,
    Currency,
    PropertyStatus,
    PropertyType,
    canonical_amenities,
)

LANDLORD = "landlord"
EXPORT_DEFAULT_LIMIT = 500
EXPORT_MAX_LIMIT = 1000
# An image plus its multipart framing (boundaries, part headers).
MULTIPART_OVERHEAD_BYTES = 64 * 1024

# Fields of a property object a client can read but never write.
READ_ONLY_FIELDS = frozenset(
    {"id", "owner_id", "version", "images", "thumbnail_url", "created_at", "updated_at"}
)


# --- input fields -----------------------------------------------------------------


class CoordinateField(serializers.Field):
    """Degrees as a JSON number (or decimal string), rounded to 6 places
    (about 0.1 m): map widgets send more digits than anyone can use."""

    default_error_messages = {
        "invalid": "Enter a number of degrees.",
        "range": "Must be between {low} and {high}.",
    }

    def __init__(self, *, limit: int, **kwargs) -> None:
        self.limit = limit
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        value = decimal_or_none(data)
        if value is None:
            self.fail("invalid")
        if not -self.limit <= value <= self.limit:
            self.fail("range", low=-self.limit, high=self.limit)
        return value.quantize(Decimal(1).scaleb(-COORDINATE_DECIMAL_PLACES), ROUND_HALF_EVEN)

    def to_representation(self, value: Decimal) -> float:
        return float(value)


class CoordinateSchema(OpenApiSerializerFieldExtension):
    target_class = CoordinateField

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "number",
            "format": "double",
            "minimum": -self.target.limit,
            "maximum": self.target.limit,
        }


@extend_schema_field({"type": "number", "multipleOf": 0.5, "minimum": 0, "maximum": 50})
class BathroomsField(serializers.Field):
    default_error_messages = {
        "invalid": "Enter a number of bathrooms such as 1 or 1.5.",
        "range": f"Must be between 0 and {BATHROOMS_MAX}.",
        "step": "Use steps of 0.5 (1, 1.5, 2 ...).",
    }

    def to_internal_value(self, data) -> Decimal:
        value = decimal_or_none(data)
        if value is None:
            self.fail("invalid")
        if not 0 <= value <= BATHROOMS_MAX:
            self.fail("range")
        if (value * 2) % 1 != 0:
            self.fail("step")
        return value.quantize(Decimal("0.1"))

    def to_representation(self, value: Decimal) -> float:
        return float(value)


class CodeField(StringField):
    """An upper-case code from a fixed set; accepted in any case."""

    def __init__(self, *, codes: frozenset[str] | list[str], message: str, **kwargs) -> None:
        self.codes = frozenset(codes)
        kwargs["error_messages"] = {"unknown": message, **kwargs.get("error_messages", {})}
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data).upper()
        if value not in self.codes:
            self.fail("unknown")
        return value


class CodeSchema(OpenApiSerializerFieldExtension):
    """The codes themselves (any letter case is accepted; the schema names the
    canonical upper-case spelling)."""

    target_class = CodeField
    priority = 1  # before the platform's request-string rule

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": sorted(self.target.codes)}


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "enum": Amenity.values}, "uniqueItems": True}
)
class AmenitiesField(serializers.ListField):
    """Amenities from the vocabulary (models.Amenity); duplicates are dropped
    and the list is kept in vocabulary order."""

    def __init__(self, **kwargs) -> None:
        super().__init__(child=StringField(max_length=64), max_length=100, **kwargs)

    def to_internal_value(self, data) -> list[str]:
        values = super().to_internal_value(data)
        unknown = sorted(set(values) - set(Amenity.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown amenities: {', '.join(unknown)}. Allowed: {', '.join(Amenity.values)}."
            )
        return canonical_amenities(values)


# --- serializers ------------------------------------------------------------------


class PropertyInputSerializer(StrictInputSerializer):
    """The writable fields of a property (POST: the required ones must be
    there; PATCH: any subset, validated with `partial=True`)."""

    read_only_keys = READ_ONLY_FIELDS

    title = StringField(max_length=TITLE_MAX_LENGTH)
    description = StringField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False)
    property_type = serializers.ChoiceField(choices=PropertyType.choices)
    address_line1 = StringField(max_length=ADDRESS_MAX_LENGTH)
    city = StringField(max_length=CITY_MAX_LENGTH)
    state = StringField(max_length=STATE_MAX_LENGTH, allow_blank=True, required=False)
    postal_code = StringField(max_length=POSTAL_CODE_MAX_LENGTH, allow_blank=True, required=False)
    country = CodeField(
        codes=COUNTRY_CODES,
        max_length=2,
        message='Use an ISO 3166-1 alpha-2 country code such as "US".',
        help_text="ISO 3166-1 alpha-2, stored upper-case.",
    )
    latitude = CoordinateField(limit=90, allow_null=True, required=False)
    longitude = CoordinateField(limit=180, allow_null=True, required=False)
    bedrooms = StrictIntegerField(min_value=0, max_value=BEDROOMS_MAX)
    bathrooms = BathroomsField()
    area_sqft = StrictIntegerField(
        min_value=1, max_value=AREA_SQFT_MAX, allow_null=True, required=False
    )
    monthly_rent = MoneyField(source="monthly_rent_minor")
    deposit = MoneyField(source="deposit_minor", allow_zero=True, required=False)
    currency = CodeField(
        codes=Currency.values,
        message=f"Use a supported ISO 4217 currency: {', '.join(Currency.values)}.",
        required=False,
        help_text='ISO 4217, default "USD".',
    )
    amenities = AmenitiesField(required=False)
    available_from = StrictDateField(allow_null=True, required=False)
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in CLIENT_STATUSES],
        required=False,
        error_messages={
            "invalid_choice": (
                '"{input}" is not a valid status: use draft, listed or rented '
                "(DELETE archives a property)."
            )
        },
        help_text="Default draft. `archived` only through DELETE.",
    )


class PropertyImageOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField(help_text="The image (longest side at most 1600 px).")
    thumbnail_url = serializers.URLField(help_text="A 400x300 cover-cropped thumbnail.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class PropertyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    owner_id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    property_type = serializers.ChoiceField(choices=PropertyType.choices)
    address_line1 = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    latitude = CoordinateField(limit=90, allow_null=True)
    longitude = CoordinateField(limit=180, allow_null=True)
    bedrooms = serializers.IntegerField()
    bathrooms = BathroomsField()
    area_sqft = serializers.IntegerField(allow_null=True)
    monthly_rent = MoneyField(source="monthly_rent_minor")
    deposit = MoneyField(source="deposit_minor", allow_zero=True)
    currency = serializers.ChoiceField(choices=Currency.choices)
    amenities = serializers.ListField(child=serializers.ChoiceField(choices=Amenity.choices))
    available_from = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=PropertyStatus.choices)
    version = serializers.IntegerField(help_text="Starts at 1; +1 on every change.")
    thumbnail_url = serializers.URLField(
        allow_null=True, help_text="The first image's thumbnail, or null."
    )
    images = PropertyImageOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


NOT_FOUND = error_schema(
    "`not_found`: no such property, a non-UUID id, or a draft or archived property of someone else."
)
NOT_OWNER = error_schema("`forbidden`: a listed or rented property of someone else.")
ARCHIVED = error_schema("`property_archived`: an archived property can no longer be changed.")


# --- permissions ------------------------------------------------------------------


class IsLandlord(BasePermission):
    message = "Only landlords can list properties."

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "role", None) == LANDLORD


def _caller_id(request: Request) -> str | None:
    return request.user.user_id if request.user.is_authenticated else None


# --- views ------------------------------------------------------------------------


class PropertyListCreateApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(PageFilterSerializer):
        owner = serializers.ChoiceField(
            choices=["me"],
            required=False,
            error_messages={"invalid_choice": 'The only value is "me".'},
            help_text="`me` (a landlord's token): the caller's own properties.",
        )

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), IsLandlord()]
        return [AllowAny()]

    @extend_schema(
        tags=["properties"],
        summary="Browse listed properties, or the caller's own",
        description=(
            "Listed properties, newest first. `?owner=me` (a landlord's token): the "
            "caller's own properties in every status, archived included."
        ),
        parameters=[FilterSerializer],
        responses={
            200: PropertyOutputSerializer(many=True),
            400: INVALID,
            401: error_schema("`not_authenticated`: `owner=me` without a token."),
            403: error_schema("`forbidden`: `owner=me` by a user who is not a landlord."),
            404: error_schema("`not_found`: a page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer.from_query(request.query_params)
        if filters.get("owner") == "me":
            if not request.user.is_authenticated:
                raise NotAuthenticated()
            if request.user.role != LANDLORD:
                raise Forbidden(message="Only landlords own properties.")
            properties = selectors.property_list_owned(owner_id=request.user.user_id)
        else:
            properties = selectors.property_list_listed()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(properties, request, view=self)
        return paginator.get_paginated_response(PropertyOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["properties"],
        summary="List a new property (landlords)",
        description=(
            "The caller becomes its owner. `status` defaults to `draft` (visible to the "
            "owner only); `listed` publishes it."
        ),
        request=PropertyInputSerializer,
        responses={
            201: PropertyOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: the caller is not a landlord."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = PropertyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        property = services.property_create(
            owner_id=request.user.user_id, fields=serializer.validated_data
        )
        return Response(PropertyOutputSerializer(property).data, status=status.HTTP_201_CREATED)


class PropertyDetailApi(APIView):
    def get_permissions(self):
        if self.request.method == "GET":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        tags=["properties"],
        summary="One property",
        description=(
            "Listed and rented properties are public; draft and archived ones exist "
            "for their owner only."
        ),
        responses={200: PropertyOutputSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, property_id: str) -> Response:
        property = selectors.property_get_visible(
            property_id=property_id, viewer_id=_caller_id(request)
        )
        return Response(PropertyOutputSerializer(property).data)

    @extend_schema(
        tags=["properties"],
        summary="Change some fields of one's property",
        description=(
            "Any writable field. A PATCH that changes no value leaves the property (and "
            "its `version`) as it is and publishes nothing."
        ),
        request=PropertyInputSerializer(partial=True),
        responses={
            200: PropertyOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: NOT_OWNER,
            404: NOT_FOUND,
            409: ARCHIVED,
        },
    )
    def patch(self, request: Request, property_id: str) -> Response:
        serializer = PropertyInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        property = services.property_update(
            property_id=property_id, actor_id=request.user.user_id, fields=serializer.validated_data
        )
        # Fresh images for the answer (the write itself never reads them).
        property = selectors.property_get_visible(
            property_id=property.id, viewer_id=request.user.user_id
        )
        return Response(PropertyOutputSerializer(property).data)

    @extend_schema(
        tags=["properties"],
        summary="Archive one's property",
        description=(
            "It leaves the listings and search and can no longer be changed; its owner "
            "still sees it. Archiving an archived property again is a 204 that changes nothing."
        ),
        responses={
            204: OpenApiResponse(description="Archived."),
            401: NOT_AUTHENTICATED,
            403: NOT_OWNER,
            404: NOT_FOUND,
        },
    )
    def delete(self, request: Request, property_id: str) -> Response:
        services.property_archive(property_id=property_id, actor_id=request.user.user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PropertyImageCreateApi(APIView):
    parser_classes = [MultiPartParser]

    class PropertyImageCreatedSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        url = serializers.URLField()
        thumbnail_url = serializers.URLField()
        width = serializers.IntegerField()
        height = serializers.IntegerField()

    @extend_schema(
        tags=["properties"],
        summary="Add a photo to one's property",
        description=(
            "Multipart field `image`: a JPEG, PNG or WebP of at most 10 MB (checked by "
            "decoding it, whatever its name or type claims). It is stored re-encoded "
            "without metadata (EXIF, GPS...), upright, at most 1600 px on its longest "
            "side, with a 400x300 thumbnail; the first image's thumbnail is the property's."
        ),
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"image": {"type": "string", "format": "binary"}},
                "required": ["image"],
            }
        },
        responses={
            201: PropertyImageCreatedSerializer,
            400: error_schema(
                "`invalid` with `fields.image`: missing, not an image, corrupt, too large."
            ),
            401: NOT_AUTHENTICATED,
            403: NOT_OWNER,
            404: NOT_FOUND,
            409: ARCHIVED,
            413: error_schema("`payload_too_large`: the request body is far over the limit."),
            415: error_schema("`unsupported_media_type`: not multipart/form-data."),
            503: error_schema(
                "`busy`: every image decoding slot of the service is taken; retry after "
                "`Retry-After` seconds. Or `upstream_unavailable` from the gateway."
            ),
        },
    )
    def post(self, request: Request, property_id: str) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.PROPERTY_IMAGE_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
        if length.isdigit() and int(length) > limit:
            # Refused before a byte of it is read or spooled to disk.
            raise ApplicationError(
                "payload_too_large", "The request body is too large.", status=413
            )
        image = services.property_image_add(
            property_id=property_id,
            actor_id=request.user.user_id,
            upload=request.FILES.get("image"),
        )
        return Response(
            self.PropertyImageCreatedSerializer(image).data, status=status.HTTP_201_CREATED
        )


class PropertyExportApi(APIView):
    """search_service's reindexing source: every property, every status."""

    permission_classes = [IsInternalService]

    class PropertyExportOutputSerializer(serializers.Serializer):
        results = serializers.ListField(
            child=serializers.DictField(),
            help_text="property_document()s: the data of rentezy.property.* events.",
        )
        next_after = serializers.UUIDField(
            allow_null=True, help_text="Pass as `after` for the next page; null on the last."
        )

    class FilterSerializer(FilterSerializer):
        after = serializers.UUIDField(
            required=False,
            error_messages={"invalid": "A property id (UUID) is required."},
            help_text="Start after this id (the previous page's `next_after`).",
        )
        limit = serializers.IntegerField(
            required=False,
            default=EXPORT_DEFAULT_LIMIT,
            min_value=1,
            max_value=EXPORT_MAX_LIMIT,
            error_messages={
                key: f"An integer from 1 to {EXPORT_MAX_LIMIT} is required."
                for key in ("invalid", "min_value", "max_value", "max_string_length")
            },
            help_text=f"1..{EXPORT_MAX_LIMIT}, default {EXPORT_DEFAULT_LIMIT}.",
        )

    @extend_schema(
        tags=["internal"],
        summary="Export every property as its event document (services only)",
        description=(
            "Keyset pagination in id order: `after` is the last id of the previous page. "
            "Each result is exactly the `data` of a rentezy.property.* event."
        ),
        parameters=[FilterSerializer],
        responses={
            200: PropertyExportOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not a service identity."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer.from_query(request.query_params)
        properties, next_after = selectors.property_export_page(
            after=filters.get("after"), limit=filters["limit"]
        )
        return Response(
            self.PropertyExportOutputSerializer(
                {"results": [property_document(p) for p in properties], "next_after": next_after}
            ).data
        )


class PropertyImageOrderApi(APIView):
    class ImageOrderInputSerializer(StrictInputSerializer):
        image_ids = serializers.ListField(
            child=serializers.UUIDField(error_messages={"invalid": "An image id (UUID)."}),
            min_length=1,
            max_length=100,
            help_text="Every image of the property, each once, in the new order: the first is the cover.",
        )

    @extend_schema(
        tags=["properties"],
        summary="Reorder the photos of one's property",
        request=ImageOrderInputSerializer,
        responses={
            200: PropertyOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: NOT_OWNER,
            404: NOT_FOUND,
        },
    )
    def put(self, request: Request, property_id: str) -> Response:
        serializer = self.ImageOrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.property_images_reorder(
            property_id=property_id,
            actor_id=request.user.user_id,
            image_ids=serializer.validated_data["image_ids"],
        )
        property = selectors.property_get_visible(
            property_id=property_id, viewer_id=request.user.user_id
        )
        return Response(PropertyOutputSerializer(property).data)
