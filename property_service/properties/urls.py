"""Public property routes, mounted at `api/properties` (exact paths, no trailing slash).

Ids are matched as any path segment and parsed by the views: a non-UUID id is
a 404 `not_found` in the error shape, like an unknown one.
"""

from django.urls import path

from properties import apis

urlpatterns = [
    path("", apis.PropertyListCreateApi.as_view(), name="property-list"),
    path("/<str:property_id>", apis.PropertyDetailApi.as_view(), name="property-detail"),
    path(
        "/<str:property_id>/images",
        apis.PropertyImageCreateApi.as_view(),
        name="property-image-create",
    ),
    path(
        "/<str:property_id>/images/order",
        apis.PropertyImageOrderApi.as_view(),
        name="property-image-order",
    ),
]
