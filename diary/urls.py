from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/profile/", views.profile, name="profile"),
    path("diary/", views.episode_list, name="episode_list"),
    path("diary/new/", views.episode_create, name="episode_create"),
    path("diary/quick/", views.quick_log, name="quick_log"),
    path("diary/<int:pk>/", views.episode_detail, name="episode_detail"),
    path("diary/<int:pk>/edit/", views.episode_update, name="episode_update"),
    path("diary/<int:pk>/delete/", views.episode_delete, name="episode_delete"),
]
