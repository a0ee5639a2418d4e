"""Fixtures for the audit tests."""

import pytest


@pytest.fixture(autouse=True)
def _whitenoise_without_collected_static(settings):
    """Pages rendered through the test client must not warn about a missing STATIC_ROOT."""
    settings.WHITENOISE_AUTOREFRESH = True
