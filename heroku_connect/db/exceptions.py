"""Exceptions raised by the database layer."""

from django.db import NotSupportedError

__all__ = ("WriteNotSupportedError",)


class WriteNotSupportedError(NotSupportedError):
    """A write was attempted on a read-only Heroku Connect model."""
