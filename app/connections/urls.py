"""URLs of the connections dashboard (namespace ``connections``, mounted at ``/connections/``)."""

from django.urls import path

from app.connections import views

app_name = "connections"

urlpatterns = [
    path("", views.status, name="status"),
    path("status.json", views.status_json, name="status_json"),
    path("refresh/", views.refresh, name="refresh"),
    path("diff/", views.diff, name="diff"),
    path("diff/mapping.json", views.download_mapping, name="download"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("<slug:connection_id>/", views.connection_detail, name="connection"),
    path("<slug:connection_id>/fetch/", views.fetch_deployed, name="fetch"),
    path("<slug:connection_id>/import/", views.import_mapping, name="import"),
    path(
        "<slug:connection_id>/mappings/<slug:mapping_id>/<slug:action>/",
        views.action,
        name="mapping_action",
    ),
    path("<slug:connection_id>/actions/<slug:action>/", views.action, name="action"),
]
