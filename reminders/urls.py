from django.urls import path

from . import views

app_name = "reminders"
urlpatterns = [
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("push/", views.push_subscribe, name="push_subscribe"),
]
