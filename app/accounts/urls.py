"""URLs of the lockout list (namespace ``accounts``, mounted at ``/accounts/``)."""

from django.urls import path

from app.accounts import views

app_name = "accounts"

urlpatterns = [
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/lift/", views.lift, name="lift"),
]
