"""Public notification routes, mounted at `api/notifications` (exact paths,
no trailing slash). The socket route is `routing.py`."""

from django.urls import path

from notifications import apis

urlpatterns = [
    path("", apis.NotificationListApi.as_view(), name="notification-list"),
    path("/read-all", apis.NotificationReadAllApi.as_view(), name="notification-read-all"),
    path("/unread-count", apis.UnreadCountApi.as_view(), name="notification-unread-count"),
    path("/preferences", apis.PreferencesApi.as_view(), name="notification-preferences"),
    path(
        "/<str:notification_id>/read",
        apis.NotificationReadApi.as_view(),
        name="notification-read",
    ),
]
