"""Health endpoints: /health/ (every dependency) and /health/live/ (the process only)."""

from django.urls import path

from .checks import health_checks
from .views import HealthView, live

urlpatterns = [
    path("health/", HealthView.as_view(checks=health_checks()), name="health"),
    path("health/live/", live, name="health-live"),
]
