"""Health endpoints: /health/ (every dependency) and /health/live/ (the process only)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from health_check.views import HealthCheckView

from .checks import health_checks


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no dependency."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("health/", HealthCheckView.as_view(checks=health_checks()), name="health"),
    path("health/live/", live, name="health-live"),
]
