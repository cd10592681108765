from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("diary.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("admin/", admin.site.urls),
]
