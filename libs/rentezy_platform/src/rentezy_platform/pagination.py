"""List pagination of the public API: `?page=&page_size=` (page_size capped at
100) rendering `{count, next, previous, results}`.

`next` and `previous` are public URLs: PUBLIC_BASE_URL (the gateway) plus the
request's path and query, never the Host the service was called on (an
upstream address no client can reach). A view that builds its own page links
takes them from `page_url(request, page)` (search_service does).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import pagination, serializers
from rest_framework.utils.urls import remove_query_param, replace_query_param

from rentezy_platform.serializers import FilterSerializer, PageFilterSerializer

PAGE_PARAMETER = "page"


def _page_parameters(request) -> dict:
    """`page` and `page_size`, validated once for every list (DRF would silently
    fall back to defaults; the API promises 400 for bad parameters)."""
    return PageFilterSerializer.from_query(request.query_params)


def public_url(request) -> str:
    """The URL the client called, as seen through the gateway: path and query
    of `request` on PUBLIC_BASE_URL (the gateway forwards paths unchanged)."""
    return settings.PUBLIC_BASE_URL + request.get_full_path()


def page_url(request, page: int) -> str:
    """The public URL of page `page` of the list `request` asked for (page 1
    without a `page` parameter, as DRF does)."""
    url = public_url(request)
    if page == 1:
        return remove_query_param(url, PAGE_PARAMETER)
    return replace_query_param(url, PAGE_PARAMETER, page)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_query_param = PAGE_PARAMETER
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()  # pages are numbers only; a page past the end is 404 not_found

    def get_page_size(self, request) -> int:
        page_size = _page_parameters(request).get(self.page_size_query_param)
        return self.page_size if page_size is None else min(page_size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        _page_parameters(request)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        # The schema says what PageFilterSerializer enforces (DRF's says any integer).
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page (default {self.page_size}; values above "
                    f"{self.max_page_size} are capped to {self.max_page_size})."
                )
        return parameters

    def get_next_link(self) -> str | None:
        if not self.page.has_next():
            return None
        return page_url(self.request, self.page.next_page_number())

    def get_previous_link(self) -> str | None:
        if not self.page.has_previous():
            return None
        return page_url(self.request, self.page.previous_page_number())


class CursorFilterSerializer(FilterSerializer):
    cursor = serializers.CharField(required=False, max_length=1000, help_text="From `next`.")
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Default 50; values above 100 are capped to 100.",
        error_messages={
            "invalid": "A positive integer is required.",
            "min_value": "A positive integer is required.",
            "max_string_length": "A positive integer is required.",
        },
    )


class CursorPagination(pagination.CursorPagination):
    """A feed read newest first that grows while it is read (chat history):
    `?cursor=` from the previous page's `next` (opaque), `page_size` capped at
    100, rendering `{next, previous, results}` with public URLs. An invalid
    cursor is a 404 `not_found`; bad parameters a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")

    def get_page_size(self, request) -> int:
        page_size = CursorFilterSerializer.from_query(request.query_params).get("page_size")
        return self.page_size if page_size is None else min(page_size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        CursorFilterSerializer.from_query(request.query_params)
        page = super().paginate_queryset(queryset, request, view)
        self.base_url = public_url(request)
        return page


def paginated_response(view, request, queryset, serializer_class):
    """A list view's answer: `queryset` paged by the view's `pagination_class`
    and serialized with `serializer_class(many=True)`."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
