"""Hourly allowances per address and per account, shared by every worker and server.

Call `take(LIMIT, key)` before the work the limit protects: it uses one of the hour's
allowance and answers False, using nothing, when none is left. Each limit is a setting read
from the environment (so many an hour, 0 for no limit). The buckets live in the database, so
all gunicorn workers, and every server on the same database, count together.
"""

import ipaddress
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone

from cramplog.log import client_ip

from .models import Bucket

# Failed logins from one address, across every username: spraying a common password over
# many accounts. django-axes separately locks one username at one address after five.
LOGIN_FAILURES = "CRAMPLOG_LOGIN_FAILURES_PER_HOUR"
SIGNUPS = "CRAMPLOG_SIGNUPS_PER_HOUR"
# Password-reset requests from one address, and reset mails to one account.
RESETS = "CRAMPLOG_RESETS_PER_HOUR"
# Requests for /share/<token>/ from one address, whether the link works or not.
SHARE_VIEWS = "CRAMPLOG_SHARE_VIEWS_PER_HOUR"
# Links to confirm a reminder address, per account: changing the address back and forth must
# not flood someone's mailbox.
CONFIRMATIONS = "CRAMPLOG_CONFIRMATIONS_PER_HOUR"
# Wrong second-step codes for one account, from any address.
SECOND_STEP_FAILURES = "CRAMPLOG_SECOND_STEP_FAILURES_PER_HOUR"

WHAT = {
    LOGIN_FAILURES: "failed logins",
    SIGNUPS: "sign-ups",
    RESETS: "password reset requests",
    SHARE_VIEWS: "shared reports opened",
    CONFIRMATIONS: "confirmation links",
    SECOND_STEP_FAILURES: "wrong codes",
}
# Limits counted per account rather than per address.
PER_ACCOUNT = {CONFIRMATIONS, SECOND_STEP_FAILURES}


def address(request):
    """The client's address as a limit key; IPv6 by its /64, which one subscriber usually has."""
    ip = client_ip(request)
    if not ip:
        # A unix socket gives no address; every such request shares one allowance.
        return "unknown"
    ip = ipaddress.ip_address(ip)
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def take(limit, key):
    per_hour = getattr(settings, limit)
    if not per_hour:
        return True
    now = timezone.now()
    with transaction.atomic():
        Bucket.objects.full(now).delete()
        # Locked, so two workers taking the last token at once cannot both get it.
        bucket, _ = Bucket.objects.select_for_update().get_or_create(
            key=f"{limit} {key}", defaults={"tokens": per_hour, "updated_at": now}
        )
        bucket.refill(per_hour, now)
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        bucket.save()
    return True


def give_back(limit, key):
    """Return a token taken for something that turned out not to count, such as a good login."""
    per_hour = getattr(settings, limit)
    if not per_hour:
        return
    with transaction.atomic():
        bucket = Bucket.objects.select_for_update().filter(key=f"{limit} {key}").first()
        if bucket is not None:
            bucket.refill(per_hour, timezone.now())
            bucket.tokens = min(per_hour, bucket.tokens + 1)
            bucket.save()


def seconds_to_wait(limit):
    """How long until one more is allowed, once none is left."""
    return math.ceil(3600 / getattr(settings, limit))


def too_many(request, limit):
    """The 429 page: what was refused, and when one more will be allowed."""
    wait = seconds_to_wait(limit)
    response = render(
        request,
        "429.html",
        {"what": WHAT[limit], "minutes": math.ceil(wait / 60), "per_account": limit in PER_ACCOUNT},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


# django-axes watches passwords through Django's authenticate(); passkeys and second-step
# codes are checked outside it, so they report to axes here, and count the same way.


def locked_out(request, username):
    """Whether django-axes has paused sign-ins for this username from this address."""
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def lockout(request, username):
    """django-axes' page for a paused username and address (429)."""
    return get_lockout_response(request, credentials={"username": username})


def record_failure(request, username):
    """Count a failed passkey or code like a wrong password: the fifth pauses the pair."""
    user_login_failed.send(__name__, credentials={"username": username}, request=request)
