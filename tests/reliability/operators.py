"""Operators driving the real web process over HTTP, as a browser would (forms, CSRF)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


class _Forms(HTMLParser):
    """Every form's action and its input name/value pairs (hidden ones included)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"id": values.get("id"), "action": values.get("action"), "data": []})
        elif tag == "input" and self.forms and values.get("name"):
            kind = values.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in values:
                return
            self.forms[-1]["data"].append((values["name"], values.get("value") or ""))


def forms_of(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Operator:
    """A logged-in session of one user on the web process."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        page = self.session.get(f"{base_url}/accounts/login/", timeout=30)
        (form,) = [f for f in forms_of(page.text) if "login" in (f["action"] or "")]
        data = dict(form["data"])
        data.update(username=username, password=password)
        response = self.session.post(page.url, data=data, timeout=30)
        assert response.url.rstrip("/") != page.url.rstrip("/"), f"{username} could not log in"

    @property
    def csrf_token(self) -> str:
        return self.session.cookies["csrftoken"]

    def form(
        self,
        response: requests.Response,
        *,
        form_id: str | None = None,
        field: str | None = None,
        own_url: bool = False,
    ) -> tuple[str, list[tuple[str, str]]]:
        """The URL and the fields of the page's one form with id ``form_id``, holding the input
        ``field``, or (``own_url``) posting to the page itself, as a browser would post them."""
        response.raise_for_status()
        (form,) = [
            f
            for f in forms_of(response.text)
            if (form_id is None or f["id"] == form_id)
            and (field is None or field in dict(f["data"]))
            and (not own_url or not f["action"])
        ]
        return urljoin(response.url, form["action"] or response.url), form["data"]

    def get(self, path: str, **params: str) -> requests.Response:
        return self.session.get(urljoin(self.base_url, path), params=params, timeout=30)

    def post(self, url: str, data: list[tuple[str, str]]) -> requests.Response:
        return self.session.post(url, data=data, timeout=60)
