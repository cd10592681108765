from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers


class ContentSecurityPolicyMiddleware:
    """Send the site's Content-Security-Policy on every response, static files included.

    Every script and style is a static file of this site, so the policy needs no nonces and
    is the same for every page: the header is built once per process, not per response.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = "; ".join(
            f"{directive} {' '.join(sources)}" for directive, sources in settings.SECURE_CSP.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response


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


class PrivateCacheMiddleware:
    """Keep pages with someone's data out of browser and proxy caches.

    Any page seen signed in may show diary entries or health facts, and account pages carry
    forms and tokens, so neither may be stored on a shared computer or by a proxy. A view
    that sets its own Cache-Control keeps it; static files never reach this middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        personal = request.user.is_authenticated or request.path.startswith("/accounts/")
        if personal and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
