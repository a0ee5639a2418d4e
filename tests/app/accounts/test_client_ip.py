"""The client address behind our proxies: the right-most X-Forwarded-For entries count."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from app.accounts.client_ip import client_ip, user_agent


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.1"),  # no proxy of ours: the header is the client's own words
        (1, "203.0.113.9", "203.0.113.9"),  # Heroku's router appended the real address
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # a made-up entry in front is ignored
        (1, "1.2.3.4,203.0.113.9 ", "203.0.113.9"),
        (2, "1.2.3.4, 203.0.113.9, 198.51.100.7", "203.0.113.9"),  # a CDN before the router
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "", "10.0.0.1"),  # fewer entries than proxies: not through them, REMOTE_ADDR
        (2, "203.0.113.9", "10.0.0.1"),
        (1, "1.2.3.4, not-an-address", "10.0.0.1"),  # garbage where the router writes
    ],
)
def test_client_ip__counts_trusted_proxies_from_the_right(settings, proxies, forwarded, expected):
    """The N-th entry from the right for N trusted proxies; REMOTE_ADDR when that is missing."""
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_user_agent__is_truncated():
    """The user agent is client-chosen text of any length: it is cut."""
    request = RequestFactory().get("/", HTTP_USER_AGENT="x" * 1000)
    assert user_agent(request, 200) == "x" * 200
