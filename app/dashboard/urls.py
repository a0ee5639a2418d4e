"""URLs of the operator dashboard (namespace ``dashboard``, mounted at ``/``)."""

from django.urls import include, path

from app.dashboard import api, views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("groups/", views.groups, name="groups"),
    path("groups/refresh/", views.refresh, name="refresh_stats"),
    path("failures/", views.failures, name="failures"),
    path("failures/<str:source>/<int:pk>/", views.detail, name="detail"),
    path("api/overview.json", api.overview, name="api_overview"),
    path("api/error-groups.json", api.error_groups, name="api_error_groups"),
    path("", include("app.dashboard.action_urls")),
]
