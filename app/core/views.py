"""Login and logout: Django's views, with ``next`` limited to local paths."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm

from app.core.redirects import local_path


class LoginForm(AuthenticationForm):
    """Django's form, refusing a username longer than the user model allows before
    authenticating (Django 5.2 sets the field's ``max_length`` too late for its validator, so an
    overlong name reached the backends and django-axes' 255-character column: a 500)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username is not None and len(username) > (self.fields["username"].max_length or 150):
            raise self.get_invalid_login_error()
        return super().clean()


class LocalNextMixin:
    """``next`` is followed only when it is a path on this site (see ``app.core.redirects``)."""

    def get_redirect_url(self) -> str:
        name = self.redirect_field_name
        return (
            local_path(self.request, self.request.POST.get(name, self.request.GET.get(name))) or ""
        )


class LoginView(LocalNextMixin, auth_views.LoginView):
    authentication_form = LoginForm


class LogoutView(LocalNextMixin, auth_views.LogoutView):
    pass
