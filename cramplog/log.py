"""Logging that records who and from where, and never what they wrote.

Log lines say which account (by id, not name) and which address a failure came from. They
never carry request bodies, passwords or notes: Django does not log bodies, axes masks the
password, and exception messages, which can quote the data that failed (PostgreSQL's "Failing
row contains (...)" does), are left out of tracebacks.
"""

import ipaddress
import logging
import traceback

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.functional import SimpleLazyObject, empty


def client_ip(request):
    """The visitor's address, as the nearest of the CRAMPLOG_TRUSTED_PROXIES saw it.

    Each proxy appends the address it got the request from to X-Forwarded-For, so with N
    proxies in front the client is the Nth entry from the right; anything left of it is
    whatever the client sent, and cannot be trusted. With no proxies it is REMOTE_ADDR.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.CRAMPLOG_TRUSTED_PROXIES
    if proxies:
        forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [hop for hop in forwarded if hop]
        if forwarded:
            # Fewer entries than proxies: the request skipped a proxy; take the furthest hop.
            address = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def request_user_id(request):
    """The signed-in person's id, without loading the user if nothing has yet.

    Loading it would query the database, which may be the very thing that failed.
    """
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.pk


def axes_client_str(username, ip_address, user_agent, path_info, request):
    """How django-axes names a client in its log lines: account id and address, no username."""
    user_id = (
        get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username or ""})
        .values_list("pk", flat=True)
        .first()
    )
    return f"user_id={user_id or '-'} ip={ip_address or '-'}"


class RequestContextFilter(logging.Filter):
    """Give every record user_id and client_ip, taken from the request Django attaches."""

    def filter(self, record):
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            record.user_id = request_user_id(request) or "-"
            record.client_ip = client_ip(request) or "-"
        else:
            record.user_id = getattr(record, "user_id", "-")
            record.client_ip = getattr(record, "client_ip", "-")
        return True


class PrivateFormatter(logging.Formatter):
    """Format tracebacks with their frames and exception types but without the messages."""

    def formatException(self, ei):
        _, error, _ = ei
        chain = []
        while error is not None and error not in chain:
            chain.append(error)
            error = error.__cause__ or error.__context__
        parts = []
        for error in reversed(chain):
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(error.__traceback__))
            name = f"{type(error).__module__}.{type(error).__qualname__}"
            parts.append(f"{name}: (message withheld, it may quote personal data)\n")
        return "".join(parts).rstrip("\n")
