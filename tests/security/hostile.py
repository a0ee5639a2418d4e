"""Hostile values for the fuzzer: the same for every parameter, plus some fitting a form field's
type (so that type checks are passed and the code behind them is reached too)."""

from __future__ import annotations

from typing import Any

from django import forms

#: Sent as every parameter. Strings only: lists are built from them (arrays for scalars).
GENERIC: tuple[str, ...] = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f\x85",
    "\r\nSet-Cookie: injected=1",
    "x" * 20_000,
    "é\u202eevil\ufeff😀e\u0301𝕏",
    "' OR 1=1 --",
    "'; DROP TABLE auth_user; --",
    "\\",
    "%_",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "//evil.example/x",
    "../../../etc/passwd",
    "-1",
    "0",
    "-9223372036854775809",
    "9" * 40,
    "1e309",
    "NaN",
    "live:-1 archive:99999999999999999999",
    "UNABLE_TO_LOCK_ROW.AAAA",
    "a:b:c",
    "eyJ1IjoxfQ:1tAbCd:xyz",
    ".eJwrTs7PS0ktSdUrzi8tSk4FAC4fBcc:1tAbCd:xyz",
)

#: Arrays where scalars are expected.
ARRAYS: tuple[list[str], ...] = (["a", "b"], ["\x00", "x" * 1000], [])


def _typed(field: forms.Field) -> list[Any]:
    """Values of the field's own type that are out of range or malformed, and the valid
    choices (to get past the field and reach what uses it)."""
    values: list[Any] = []
    if isinstance(field, forms.IntegerField):
        values += [str(2**63), "-5", "1.5", "0x10", " 7 "]
    if isinstance(field, (forms.DateTimeField, forms.DateField)):
        values += ["2026-13-45", "0000-00-00T00:00", "9999-12-31T23:59", "2026-01-01T25:61"]
    if isinstance(field, forms.ChoiceField):
        choices = [str(value) for value, _label in field.choices if not isinstance(_label, list)]
        if isinstance(field, forms.MultipleChoiceField):
            values += [choices, [*choices, "bogus"]]
        else:
            values += choices
    if isinstance(field, forms.BooleanField):
        values += ["on", "false", "2"]
    return values


def values_for(field: forms.Field | None, *, extra: tuple[str, ...] = ()) -> list[Any]:
    """Every value the fuzzer sends for one parameter (``field`` is its form field, if any)."""
    typed = _typed(field) if field is not None else []
    return [*GENERIC, *extra, *ARRAYS, *typed]
