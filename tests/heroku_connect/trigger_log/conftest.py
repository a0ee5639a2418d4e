"""Fixtures for the trigger-log tests."""

import pytest


@pytest.fixture(autouse=True)
def _whitenoise_without_collected_static(settings):
    """Requests through the test client must not warn about a missing STATIC_ROOT.

    WhiteNoise warns (an error under -W error) when ``collectstatic`` has not run; in autorefresh
    mode it looks files up per request instead and stays quiet.
    """
    settings.WHITENOISE_AUTOREFRESH = True
