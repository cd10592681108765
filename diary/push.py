"""Web push with VAPID keys (pywebpush): the application server key the browser subscribes
with, and sending one message to one subscription."""

import base64
import json

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02

# A push service that still has the message after this long drops it: a reminder is
# useless later.
TTL_SECONDS = 2 * 60 * 60
GONE = {404, 410}


class Gone(Exception):
    """The push service says the subscription no longer exists."""


class Failed(Exception):
    """The push service refused the message for another reason."""


def new_private_key():
    """A new VAPID private key, as the base64url text pywebpush and the settings read."""
    vapid = Vapid02()
    vapid.generate_keys()
    der = vapid.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.urlsafe_b64encode(der).decode().rstrip("=")


def application_server_key():
    """The public key a browser subscribes with (base64url), or "" without a private key."""
    if not settings.CRAMPLOG_VAPID_PRIVATE_KEY:
        return ""
    vapid = Vapid02.from_string(settings.CRAMPLOG_VAPID_PRIVATE_KEY)
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def send(subscription, message):
    """Send `message` (a dict: title, body, url) to one subscription.

    Raises Gone when the push service has forgotten the subscription, Failed or OSError for
    other failures.
    """
    # Imported here: pywebpush brings aiohttp, 0.4 s of every process's start, and
    # only the reminder sender ever pushes.
    from pywebpush import WebPushException, webpush

    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(message),
            vapid_private_key=settings.CRAMPLOG_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.CRAMPLOG_VAPID_SUBJECT},
            ttl=TTL_SECONDS,
            timeout=10,
        )
    except WebPushException as error:
        if error.response is not None and error.response.status_code in GONE:
            raise Gone(subscription.endpoint) from error
        raise Failed(str(error)) from error
