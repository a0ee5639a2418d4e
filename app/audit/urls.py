"""URLs of the audit trail (namespace ``audit``, mounted at ``/audit/``)."""

from django.urls import path

from app.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_list, name="list"),
    path("export.csv", views.audit_export, name="export"),
]
