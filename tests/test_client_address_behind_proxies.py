"""The client's address, used by every limit and log line, read from X-Forwarded-For only as
far as the trusted proxies vouch for it."""

import pytest
from django.test import RequestFactory

from cramplog.log import client_ip

from .test_settings import run_python


def address(settings, proxies, forwarded=None, remote="10.0.0.1"):
    settings.CRAMPLOG_TRUSTED_PROXIES = proxies
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_with_no_proxy_the_address_is_the_connection_and_the_header_is_ignored(settings):
    assert address(settings, 0, remote="203.0.113.5") == "203.0.113.5"
    assert address(settings, 0, forwarded="198.51.100.1", remote="203.0.113.5") == "203.0.113.5"


def test_with_one_proxy_the_address_is_the_one_it_appended(settings):
    assert address(settings, 1, forwarded="203.0.113.5") == "203.0.113.5"


def test_with_one_proxy_what_the_client_put_first_is_ignored(settings):
    spoofed = "198.51.100.66, 127.0.0.1, 203.0.113.5"

    assert address(settings, 1, forwarded=spoofed) == "203.0.113.5"


def test_with_two_proxies_the_address_is_the_one_the_outer_proxy_appended(settings):
    # Client 203.0.113.5 -> CDN (appends the client) -> nginx 10.1.1.1 (appends the CDN's
    # address 192.0.2.10) -> app.
    assert address(settings, 2, forwarded="203.0.113.5, 192.0.2.10") == "203.0.113.5"


def test_with_two_proxies_a_spoofed_first_entry_is_ignored(settings):
    spoofed = "198.51.100.66, 203.0.113.5, 192.0.2.10"

    assert address(settings, 2, forwarded=spoofed) == "203.0.113.5"


def test_with_fewer_entries_than_proxies_the_furthest_hop_is_taken(settings):
    assert address(settings, 2, forwarded="203.0.113.5") == "203.0.113.5"


def test_behind_a_proxy_a_request_without_the_header_uses_the_connection(settings):
    assert address(settings, 1, remote="203.0.113.5") == "203.0.113.5"


@pytest.mark.parametrize("forwarded", ["not-an-address", "203.0.113.5:443", "<script>"])
def test_an_entry_that_is_not_an_address_gives_no_address(settings, forwarded):
    assert address(settings, 1, forwarded=forwarded) == ""


def test_a_spoofed_header_cannot_dodge_the_login_limit(client, db, settings):
    settings.CRAMPLOG_TRUSTED_PROXIES = 1
    settings.CRAMPLOG_LOGIN_FAILURES_PER_HOUR = 3
    statuses = [
        client.post(
            "/accounts/login/",
            {"username": f"p{n}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5",
        ).status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


PRINT_PROXIES = """
from django.conf import settings
print(settings.CRAMPLOG_TRUSTED_PROXIES)
"""


def test_no_proxy_is_trusted_by_default_and_one_behind_https(tmp_path):
    assert run_python(PRINT_PROXIES, tmp_path).split() == ["0"]
    assert run_python(PRINT_PROXIES, tmp_path, DJANGO_HTTPS="1").split() == ["1"]
    assert run_python(PRINT_PROXIES, tmp_path, CRAMPLOG_TRUSTED_PROXIES="2").split() == ["2"]
