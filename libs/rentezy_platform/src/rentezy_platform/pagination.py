"""List pagination of the public API: `?page=&page_size=` (page_size capped at
100) rendering `{count, next, previous, results}`."""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import ValidationError


def _positive_int(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        # DRF would silently fall back to defaults; the API promises 400 for bad parameters.
        raise ValidationError({name: ["A positive integer is required."]})
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()  # pages are numbers only; a page past the end is 404 not_found

    def get_page_size(self, request) -> int:
        page_size = _positive_int(request, self.page_size_query_param)
        return self.page_size if page_size is None else min(page_size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        _positive_int(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        # The schema says what _positive_int enforces (DRF's says any integer).
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page (default {self.page_size}; values above "
                    f"{self.max_page_size} are capped to {self.max_page_size})."
                )
        return parameters
