"""URLs of the dashboard's write actions (included by ``app/dashboard/urls.py``)."""

from django.urls import path

from app.dashboard import action_views

urlpatterns = [
    path("actions/retry/confirm/", action_views.retry_confirm, name="retry_confirm"),
    path("actions/ignore/confirm/", action_views.ignore_confirm, name="ignore_confirm"),
    path("actions/retry/", action_views.retry, name="retry"),
    path("actions/ignore/", action_views.ignore, name="ignore"),
    path("actions/jobs/<int:pk>/", action_views.bulk_job, name="bulk_job"),
    path("actions/jobs/<int:pk>/cancel/", action_views.bulk_job_cancel, name="bulk_job_cancel"),
    path("auto-retry/", action_views.autoretry_policy, name="autoretry"),
]
