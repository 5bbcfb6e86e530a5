"""The operators' Django admin (`/internal/admin/`): look up accounts and
deactivate or reactivate them.

Read-only on purpose: every change of an account goes through users.services,
which also ends sessions and publishes events. Accounts are created by sign-up
and `manage.py create_admin`, never here.
"""

from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from users import services
from users.models import User

admin.site.site_header = "RentEzy auth administration"
admin.site.site_title = "RentEzy auth"
# Roles live on the user; Django groups are not used.
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = (
        "email",
        "full_name",
        "role",
        "is_active",
        "is_staff",
        "date_joined",
        "last_login",
    )
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "full_name", "phone")
    ordering = ("-date_joined",)
    fields = (
        "id",
        "email",
        "full_name",
        "phone",
        "role",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
        "tokens_valid_after",
    )
    readonly_fields = fields
    actions = ("deactivate", "reactivate")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    @admin.action(description="Deactivate the selected users (ends all their sessions)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        for user_id in ids:
            services.user_deactivate(user_id=user_id)
        self.message_user(request, f"Deactivated {len(ids)} user(s).", messages.SUCCESS)

    @admin.action(description="Reactivate the selected users")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        for user_id in ids:
            services.user_reactivate(user_id=user_id)
        self.message_user(request, f"Reactivated {len(ids)} user(s).", messages.SUCCESS)
