from django.urls import path, register_converter

from . import converters, views

register_converter(converters.YearConverter, "yyyy")
register_converter(converters.MonthConverter, "mm")
register_converter(converters.EpisodeIdConverter, "episode")
register_converter(converters.ShareIdConverter, "share")
register_converter(converters.NightConverter, "night")

urlpatterns = [
    path("", views.home, name="home"),
    # At the root, so the service worker's scope is the whole site.
    path("manifest.webmanifest", views.web_manifest, name="web_manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    # Django's own, with limits per address (and per account for reset mails).
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/login/passkey/", views.passkey_login, name="passkey_login"),
    path("accounts/login/two-step/", views.login_two_step, name="login_two_step"),
    path("accounts/passkeys/options/", views.passkey_options, name="passkey_options"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/export/", views.account_export, name="account_export"),
    path("accounts/delete/", views.account_delete, name="account_delete"),
    path("accounts/security/", views.security, name="security"),
    path("accounts/security/confirm/", views.security_confirm, name="security_confirm"),
    path(
        "accounts/security/passkeys/options/",
        views.passkey_register_options,
        name="passkey_register_options",
    ),
    path("accounts/security/passkeys/add/", views.passkey_add, name="passkey_add"),
    path(
        "accounts/security/passkeys/<int:pk>/remove/", views.passkey_remove, name="passkey_remove"
    ),
    path("accounts/security/app/", views.authenticator_app, name="authenticator_app"),
    path(
        "accounts/security/app/remove/",
        views.authenticator_app_remove,
        name="authenticator_app_remove",
    ),
    path("accounts/security/two-step/on/", views.two_step_on, name="two_step_on"),
    path("accounts/security/two-step/off/", views.two_step_off, name="two_step_off"),
    path("accounts/security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("diary/", views.episode_list, name="episode_list"),
    path("diary/new/", views.episode_create, name="episode_create"),
    path("diary/quick/", views.quick_log, name="quick_log"),
    path("diary/export.csv", views.episode_export, name="episode_export"),
    path("diary/import/", views.episode_import, name="episode_import"),
    path("diary/report/", views.report, name="report"),
    path("diary/shares/", views.shares, name="shares"),
    path("diary/shares/<share:pk>/revoke/", views.share_revoke, name="share_revoke"),
    path("share/<str:token>/", views.share, name="share"),
    path("diary/checkin/", views.checkin_latest, name="checkin"),
    path("diary/checkin/<night:night>/", views.checkin, name="checkin_night"),
    path("diary/checkins.csv", views.checkin_export, name="checkin_export"),
    path("diary/insights/", views.insights, name="insights"),
    path("diary/insights.csv", views.insights_csv, name="insights_csv"),
    path("diary/experiments/", views.experiment_list, name="experiment_list"),
    path("diary/experiments/new/", views.experiment_create, name="experiment_create"),
    path("diary/experiments/<int:pk>/", views.experiment_detail, name="experiment_detail"),
    path(
        "diary/experiments/<int:pk>/nights.csv",
        views.experiment_nights_csv,
        name="experiment_nights_csv",
    ),
    path("diary/experiments/<int:pk>/stop/", views.experiment_stop, name="experiment_stop"),
    path("diary/experiments/<int:pk>/report/", views.experiment_report, name="experiment_report"),
    path("diary/<yyyy:year>/", views.year, name="year"),
    path("diary/<yyyy:year>/<mm:month>/", views.month, name="month"),
    path("diary/<episode:pk>/", views.episode_detail, name="episode_detail"),
    path("diary/<episode:pk>/logged/", views.quick_logged, name="quick_logged"),
    path("diary/<episode:pk>/undo/", views.episode_undo, name="episode_undo"),
    path("diary/<episode:pk>/edit/", views.episode_update, name="episode_update"),
    path("diary/<episode:pk>/delete/", views.episode_delete, name="episode_delete"),
    # Linked from reminder mail: their addresses are in messages already sent.
    path("reminders/confirm/<str:token>/", views.reminder_confirm, name="reminder_confirm"),
    path(
        "reminders/unsubscribe/<str:token>/",
        views.reminder_unsubscribe,
        name="reminder_unsubscribe",
    ),
    path("reminders/push/", views.push_subscribe, name="push_subscribe"),
]
