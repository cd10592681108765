"""The project's URLs plus views that fail, to see what visitors and the logs get on errors."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from cramplog.urls import urlpatterns as project_urlpatterns


class DataError(Exception):
    """Stands in for a database error whose message quotes the row it failed on."""


@login_not_required
def bad_request(request):
    raise SuspiciousOperation("broken request")


@login_not_required
def forbidden(request):
    raise PermissionDenied


def broken(request):
    # Like PostgreSQL's "Failing row contains (...)", the message repeats what was sent.
    raise DataError(f"Failing row contains ({request.POST.get('notes', '')})")


urlpatterns = [
    *project_urlpatterns,
    path("errors/400/", bad_request),
    path("errors/403/", forbidden),
    path("errors/500/", broken),
]
