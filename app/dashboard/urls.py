"""URLs of the operator dashboard (namespace ``dashboard``, mounted at ``/``)."""

from django.urls import path

from app.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("groups/", views.groups, name="groups"),
    path("failures/", views.failures, name="failures"),
]
