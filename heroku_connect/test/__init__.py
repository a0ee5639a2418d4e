"""Helpers for testing projects that use ``heroku_connect``."""
