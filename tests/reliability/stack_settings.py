"""Settings of the processes the reliability tests start (web, worker): the development
settings with DEBUG off and recovery limits in seconds instead of minutes."""

from app.settings.development import *  # noqa: F403

DEBUG = False
# An import whose worker died is taken over after 3 s without a heartbeat (2 minutes in
# production); polls of an import start at 0.2 s.
CONNECTIONS_IMPORT_STALE_SECONDS = 3
CONNECTIONS_IMPORT_POLL_FIRST = 0.2
CONNECTIONS_IMPORT_POLL_MAX = 1.0
HEROKU_CONNECT_API_RETRY_BACKOFF = 0.05
# Accounts are created by the tests, whose settings hash passwords with MD5 (fast).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A hanging Heroku Connect API ties a worker up for 2 s per call here (10 s in production).
HEROKU_CONNECT_API_TIMEOUT = 2
