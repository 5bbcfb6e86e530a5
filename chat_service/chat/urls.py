"""Public chat routes, mounted at `api/chat/` (exact paths, no trailing slash).
Ids are matched as any path segment and parsed by the views: a non-UUID id is
a 404 `not_found`, like an unknown one. The socket route is `routing.py`."""

from django.urls import path

from chat import apis

urlpatterns = [
    path("conversations", apis.ConversationListCreateApi.as_view(), name="conversation-list"),
    path(
        "conversations/<str:conversation_id>",
        apis.ConversationDetailApi.as_view(),
        name="conversation-detail",
    ),
    path(
        "conversations/<str:conversation_id>/messages",
        apis.MessageListCreateApi.as_view(),
        name="message-list",
    ),
    path(
        "conversations/<str:conversation_id>/read", apis.ReadApi.as_view(), name="conversation-read"
    ),
]
