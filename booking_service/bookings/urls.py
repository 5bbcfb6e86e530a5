"""Public booking routes, mounted at `api/bookings` (exact paths, no trailing slash).

Ids are matched as any path segment and parsed by the views: a non-UUID id is
a 404 `not_found` in the error shape, like an unknown one. The fixed segments
(`slots`, `rentals`) come before the id routes.
"""

from django.urls import path

from bookings import apis

urlpatterns = [
    path("", apis.BookingListCreateApi.as_view(), name="booking-list"),
    path("/slots", apis.SlotListCreateApi.as_view(), name="slot-list"),
    path("/slots/<str:slot_id>/cancel", apis.SlotCancelApi.as_view(), name="slot-cancel"),
    path("/rentals", apis.ReservationListCreateApi.as_view(), name="reservation-list"),
    path(
        "/rentals/<str:reservation_id>/approve",
        apis.ReservationApproveApi.as_view(),
        name="reservation-approve",
    ),
    path(
        "/rentals/<str:reservation_id>/reject",
        apis.ReservationRejectApi.as_view(),
        name="reservation-reject",
    ),
    path(
        "/rentals/<str:reservation_id>/cancel",
        apis.ReservationCancelApi.as_view(),
        name="reservation-cancel",
    ),
    path("/<str:booking_id>/cancel", apis.BookingCancelApi.as_view(), name="booking-cancel"),
]
