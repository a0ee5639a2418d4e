"""Going through the confirmation page as a browser does: the page issues the signed scope that
performing a retry / ignore requires."""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client
from django.urls import reverse

_TOKEN = re.compile(r'name="confirmation" value="([^"]*)"')
_NEXT = re.compile(r'name="next" value="([^"]*)"')


def confirmation_token(response: Any) -> str:
    """The token of a rendered confirmation page (fails the test if the page has none)."""
    match = _TOKEN.search(response.content.decode())
    assert match, f"no confirmation form on the page (status {response.status_code})"
    return html.unescape(match.group(1))


def confirm(client: Client, action: str, selection: dict[str, Any]) -> str:
    """Open the confirmation page of ``action`` for ``selection``; return its token."""
    response = client.post(reverse(f"dashboard:{action}_confirm"), selection)
    assert response.status_code == 200, response.content.decode()[:500]
    return confirmation_token(response)


def confirm_and_perform(
    client: Client, action: str, selection: dict[str, Any], **fields: Any
) -> Any:
    """Confirm ``selection`` and post the confirmation form as the page has it (its ``next``),
    with ``fields`` added or replaced (e.g. ``next``, ``write_algorithm``)."""
    response = client.post(reverse(f"dashboard:{action}_confirm"), selection)
    assert response.status_code == 200, response.content.decode()[:500]
    form = {"confirmation": confirmation_token(response)}
    if match := _NEXT.search(response.content.decode()):
        form["next"] = html.unescape(match.group(1))
    return client.post(reverse(f"dashboard:{action}"), {**form, **fields})
