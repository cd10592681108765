from django.http import HttpResponse


class HealthCheckMiddleware:
    """Answer /healthz before anything else runs.

    Load balancers probe by address rather than host name and send no cookies, so the check
    must not depend on ALLOWED_HOSTS, sessions or the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)
