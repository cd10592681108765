from django.utils import timezone

from .models import Profile


class TimezoneMiddleware:
    """Show and read every date and time in the signed-in person's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            timezone.activate(Profile.objects.for_user(request.user).zone)
        else:
            timezone.deactivate()
        return self.get_response(request)
