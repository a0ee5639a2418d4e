"""URLs of the operator dashboard (namespace ``dashboard``, mounted at ``/``)."""

from django.urls import include, path

from app.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("groups/", views.groups, name="groups"),
    path("groups/refresh/", views.refresh, name="refresh_stats"),
    path("failures/", views.failures, name="failures"),
    path("failures/<str:source>/<int:pk>/", views.detail, name="detail"),
    path("", include("app.dashboard.action_urls")),
]
