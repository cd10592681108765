from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import push

CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"


@register(Tags.security, deploy=True)
def check_outgoing_mail(app_configs, **kwargs):
    """Without SMTP, password-reset links go to the server's log, where they work for anyone."""
    if settings.EMAIL_BACKEND != CONSOLE_MAIL:
        return []
    return [
        Error(
            "Password-reset mail is written to the server's log: anyone who can read the log "
            "can reset any account.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to "
            "your SMTP server.",
            id="cramplog.E001",
        )
    ]


@register(deploy=True)
def check_base_url(app_configs, **kwargs):
    """Reminders link to CRAMPLOG_BASE_URL: left at this machine, the links lead nowhere."""
    if urlsplit(settings.CRAMPLOG_BASE_URL).hostname not in {"127.0.0.1", "localhost", "::1"}:
        return []
    return [
        Warning(
            f"Links in reminder mail point at {settings.CRAMPLOG_BASE_URL}, this machine.",
            hint="Set CRAMPLOG_BASE_URL to the site's address, e.g. https://cramps.example.org.",
            id="cramplog.W001",
        )
    ]


@register()
def check_vapid_key(app_configs, **kwargs):
    """A key that cannot be read would break the profile page and every push: say so first."""
    try:
        push.application_server_key()
    except ValueError as error:
        return [
            Error(
                f"CRAMPLOG_VAPID_PRIVATE_KEY (or var/vapid_private_key) cannot be read: {error}",
                hint="Make a new one with `manage.py make_vapid_key --replace`.",
                id="cramplog.E002",
            )
        ]
    return []
