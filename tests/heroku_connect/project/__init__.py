"""A project's own test suite, written against the public django-heroku-connect package.

It is what a team that swaps in this library already has: a small Django project (``settings``,
``urls``) with one app (``shop``) whose connected models share an abstract base, and pytest
tests that create connected records, trigger-log and archive rows (without ids) through
factories, change a local stand-in for the Heroku Connect API between two calls and post admin
actions. It runs on the library's default test database (no opt-in setting), in its own pytest
process and test database: ``tests/heroku_connect/test_project_suite.py`` starts it; the main
run does not collect it (``tests/conftest.py``).
"""
