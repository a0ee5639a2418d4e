"""URL configuration: dashboard, admin, auth and health endpoints."""

from django.contrib import admin
from django.urls import include, path

from app.core import views as core_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", core_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", core_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("app.accounts.urls")),
    path("", include("app.health.urls")),
    path("audit/", include("app.audit.urls")),
    path("connections/", include("app.connections.urls")),
    path("", include("app.dashboard.urls")),
]
