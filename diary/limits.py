"""Hourly allowances per address and per account, shared by every worker and server.

Call `take(LIMIT, key)` before the work the limit protects: it uses one of the hour's
allowance and answers False, using nothing, when none is left. Each limit is a setting read
from the environment (so many an hour, 0 for no limit). The buckets live in the database, so
all gunicorn workers, and every server on the same database, count together.
"""

import ipaddress
import math

from django.conf import settings
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
# Links to confirm a reminder address, per account: changing the address back and forth must
# not flood someone's mailbox.
CONFIRMATIONS = "CRAMPLOG_CONFIRMATIONS_PER_HOUR"

WHAT = {
    LOGIN_FAILURES: "failed logins",
    SIGNUPS: "sign-ups",
    RESETS: "password reset requests",
    CONFIRMATIONS: "confirmation links",
}


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


def too_many(request, limit):
    """The 429 page: what was refused, and when one more will be allowed."""
    wait = math.ceil(3600 / getattr(settings, limit))
    response = render(
        request, "429.html", {"what": WHAT[limit], "minutes": math.ceil(wait / 60)}, status=429
    )
    response["Retry-After"] = str(wait)
    return response
