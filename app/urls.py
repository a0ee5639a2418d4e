"""URL configuration: dashboard, admin, auth and health endpoints."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("app.accounts.urls")),
    path("", include("app.health.urls")),
    path("audit/", include("app.audit.urls")),
    path("connections/", include("app.connections.urls")),
    path("", include("app.dashboard.urls")),
]
