from django.contrib import admin

from app.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is written by the services, never edited by hand."""

    list_display = ("created_at", "username", "action", "target", "row_count", "outcome")
    list_filter = ("action", "outcome")
    search_fields = ("username", "target", "detail")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
