from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("causes/<slug:slug>/", views.cause_detail, name="cause_detail"),
    path("tips/<slug:slug>/", views.tip_detail, name="tip_detail"),
    path("red-flags/<slug:slug>/", views.red_flag_detail, name="red_flag_detail"),
    path("articles/<slug:slug>/", views.article_detail, name="article_detail"),
]
