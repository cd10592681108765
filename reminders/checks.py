from django.core.checks import Error, register

from . import push


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
