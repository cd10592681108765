import os

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "cramplog administration"
admin.site.site_title = "cramplog admin"

urlpatterns = [
    path("", include("diary.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("admin/", admin.site.urls),
]

# Baseline views for `make bench`; never mounted in production. First, so the fixed-response
# baseline measures the middleware rather than how far down this list it sits.
if os.environ.get("CRAMPLOG_BENCH") == "1":
    urlpatterns.insert(0, path("bench/", include("bench.urls")))
