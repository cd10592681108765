from django.conf import settings
from django.core.checks import Error, Tags, register

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
