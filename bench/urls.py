from django.urls import path

from . import views

urlpatterns = [
    path("plaintext/", views.plaintext, name="bench_plaintext"),
    path("plaintext-signed-in/", views.plaintext_signed_in, name="bench_plaintext_signed_in"),
    path("fortunes/", views.fortunes, name="bench_fortunes"),
    path("rows/", views.rows, name="bench_rows"),
]
