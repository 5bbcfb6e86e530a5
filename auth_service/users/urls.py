"""Public auth routes, mounted at `api/auth/` (exact paths, no trailing slash)."""

from django.urls import path

from users import apis

urlpatterns = [
    path("register", apis.RegisterApi.as_view(), name="register"),
    path("login", apis.LoginApi.as_view(), name="login"),
    path("refresh", apis.RefreshApi.as_view(), name="refresh"),
    path("logout", apis.LogoutApi.as_view(), name="logout"),
    path("me", apis.MeApi.as_view(), name="me"),
    path("password/change", apis.PasswordChangeApi.as_view(), name="password-change"),
    path("password/reset", apis.PasswordResetApi.as_view(), name="password-reset"),
    path(
        "password/reset/confirm",
        apis.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
]
