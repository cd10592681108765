from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

# Browser features no page of the site uses, turned off for it and anything it might embed.
# Passkeys (publickey-credentials-*) keep their default, this site only.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "bluetooth",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


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


class PermissionsPolicyMiddleware:
    """Deny the browser features in DENIED_FEATURES on every response."""

    header = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class RequestSizeLimitMiddleware:
    """Answer 413 to a body larger than REQUEST_MAX_BYTES, from its Content-Length alone.

    Nothing of the body is read. WSGI servers hand over a chunked body only with its length
    (Django reads nothing without one), so the header is all there is to check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            megabytes = settings.REQUEST_MAX_BYTES // (1024 * 1024)
            return HttpResponse(render_to_string("413.html", {"megabytes": megabytes}), status=413)
        return self.get_response(request)


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
