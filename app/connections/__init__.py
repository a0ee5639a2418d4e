"""Operator dashboard II: connection status, mapping diffs and Celery-driven imports."""
