"""Tests of the health-check contrib under django-health-check 3.x.

They run in the separate virtualenv ``.venv-hc3/`` (built and driven by
``tests/heroku_connect/test_health_check_hc3.py``); the main suite never collects them because
no module here is named ``test_*``.
"""
