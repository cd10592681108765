import os

from django.contrib import admin
from django.urls import include, path

from diary import admin as diary_admin

admin.site.site_header = "cramplog administration"
admin.site.site_title = "cramplog admin"

urlpatterns = [
    path("", include("diary.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("knowledge/", include("knowledge.urls")),
    # One login page for everyone, so staff sign-ins count against the same limits.
    path("admin/login/", diary_admin.login, name="admin_login"),
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(diary_admin.view_on_site),
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
]

# Baseline views for `make bench`; never mounted in production. First, so the fixed-response
# baseline measures the middleware rather than how far down this list it sits.
if os.environ.get("CRAMPLOG_BENCH") == "1":
    urlpatterns.insert(0, path("bench/", include("bench.urls")))
