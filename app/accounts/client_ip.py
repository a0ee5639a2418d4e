"""The client's IP address, as far as our own proxies vouch for it.

Heroku's router appends the address of whoever connected to it to ``X-Forwarded-For``. A
client can send its own ``X-Forwarded-For`` with anything in it, and the router keeps that text
and appends the real address after it: ``X-Forwarded-For: <anything the client wrote>, <real>``.
So only the right-most entries are trustworthy, one per proxy of our own in front of the app,
and the address to use is the N-th entry from the right, N being ``TRUSTED_PROXY_COUNT`` (1 on
Heroku; 2 with a CDN in front of the router; 0 when nothing proxies, then ``REMOTE_ADDR``).
Taking the left-most entry, as many examples do, would let anyone pick the address the login
throttle counts against, and so evade it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address ``TRUSTED_PROXY_COUNT`` proxies vouch for, else ``REMOTE_ADDR``.

    A header with fewer entries than trusted proxies did not come through them all (or was
    tampered with on the way): ``REMOTE_ADDR`` is used then, never a client-chosen entry.
    """
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return _valid(forwarded[-proxies]) or remote


def user_agent(request: HttpRequest, limit: int = 255) -> str:
    """The ``User-Agent`` header, cut to ``limit`` characters (it is client-chosen text)."""
    return request.META.get("HTTP_USER_AGENT", "")[:limit]
