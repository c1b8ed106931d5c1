"""The project's URLs plus one that fails, for the 500 page's test."""

from django.contrib.auth.decorators import login_not_required
from django.db import OperationalError
from django.urls import path

from kpi_portal.urls import urlpatterns as project_urlpatterns


@login_not_required
def broken(request):
    raise OperationalError("could not connect to server: Connection refused")


urlpatterns = [path("broken/", broken), *project_urlpatterns]
