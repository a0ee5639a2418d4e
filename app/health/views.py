"""/health/: django-health-check's view, where warnings answer 200.

django-health-check 4.x answers 500 as soon as any check raises, ``ServiceWarning`` included.
Here a warning (a paused connection, a mapping being created, a state nobody documented, a
Heroku Connect answer not known yet) is shown in every format but answers 200, so an uptime
monitor pages only for failures; the README lists which is which.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from health_check.exceptions import ServiceWarning
from health_check.views import HealthCheckView

__all__ = ("HealthView", "live")


class HealthView(HealthCheckView):
    template_name = "health/index.html"

    def failures(self) -> list[Any]:
        """Results whose error is not a mere warning."""
        return [r for r in self.results if r.error and not isinstance(r.error, ServiceWarning)]

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500 and not self.failures():
            response.status_code = 200
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["errors"] = bool(self.failures())
        context["warnings"] = any(r.error for r in self.results)
        return context


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no dependency."""
    return JsonResponse({"status": "ok"})
