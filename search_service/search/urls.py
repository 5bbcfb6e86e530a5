"""Public routes of search_service, under `api/search/` (see config/urls.py)."""

from django.urls import path

from search.apis import PropertySearchApi

urlpatterns = [
    path("properties", PropertySearchApi.as_view(), name="property-search"),
]
