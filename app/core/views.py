"""Login and logout: Django's views, with ``next`` limited to local paths."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from app.core.redirects import local_path


class LocalNextMixin:
    """``next`` is followed only when it is a path on this site (see ``app.core.redirects``)."""

    def get_redirect_url(self) -> str:
        name = self.redirect_field_name
        return (
            local_path(self.request, self.request.POST.get(name, self.request.GET.get(name))) or ""
        )


class LoginView(LocalNextMixin, auth_views.LoginView):
    pass


class LogoutView(LocalNextMixin, auth_views.LogoutView):
    pass
