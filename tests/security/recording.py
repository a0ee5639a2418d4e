"""Finding out which parameters a view reads, by watching it (so the fuzzer lists nothing by hand).

:class:`RecordingMiddleware` (added to ``MIDDLEWARE`` by the fuzzer only) replaces the request's
``GET`` and ``POST`` with dictionaries that note every key the view looks up;
:func:`recording_forms` notes every Django form the view instantiates, whose declared fields are
then fuzzed with values fitting their types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict

#: Keys read by Django itself, not by our views.
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})


class RecordingQueryDict(QueryDict):
    """A read-only copy of a ``QueryDict`` that adds every key looked up to ``reads``."""

    reads: set[str]

    @classmethod
    def wrap(cls, original: QueryDict, reads: set[str]) -> RecordingQueryDict:
        copy = cls(mutable=True)
        for key, values in original.lists():
            copy.setlist(key, values)
        copy._mutable = False
        copy.reads = reads
        return copy

    def __deepcopy__(self, memo: dict[int, Any]) -> RecordingQueryDict:
        """``copy()`` (e.g. django-axes cleansing the query) keeps recording into ``reads``."""
        result = super().__deepcopy__(memo)
        result.reads = self.reads
        return result

    def _note(self, key: Any) -> None:
        if isinstance(key, str) and key not in IGNORED_KEYS:
            self.reads.add(key)

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> list:
        self._note(key)
        return super().getlist(key, default)


class RecordingMiddleware:
    """Puts recording ``GET``/``POST`` on the request; the keys end up in ``request.fuzz_reads``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reads: set[str] = set()
        request.fuzz_reads = reads
        request.GET = RecordingQueryDict.wrap(request.GET, reads)
        if request.method == "POST":
            request.POST = RecordingQueryDict.wrap(request.POST, reads)
        return self.get_response(request)


@contextmanager
def recording_forms() -> Iterator[list[forms.BaseForm]]:
    """Every form instantiated inside the block (Django's own forms included)."""
    seen: list[forms.BaseForm] = []
    original = forms.BaseForm.__init__

    def init(self: forms.BaseForm, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.append(self)

    forms.BaseForm.__init__ = init  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        forms.BaseForm.__init__ = original  # type: ignore[method-assign]
