"""URLs of the connections dashboard (namespace ``connections``, mounted at ``/connections/``)."""

from django.urls import path

from app.connections import views

app_name = "connections"

urlpatterns = [
    path("", views.status, name="status"),
    path("status.json", views.status_json, name="status_json"),
    path("diff/", views.diff, name="diff"),
    path("diff/mapping.json", views.download_mapping, name="download"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("<str:connection_id>/", views.connection_detail, name="connection"),
    path("<str:connection_id>/fetch/", views.fetch_deployed, name="fetch"),
    path("<str:connection_id>/import/", views.import_mapping, name="import"),
    path(
        "<str:connection_id>/mappings/<str:mapping_id>/<str:action>/",
        views.action,
        name="mapping_action",
    ),
    path("<str:connection_id>/actions/<str:action>/", views.action, name="action"),
]
