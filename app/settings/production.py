"""Production (Heroku): secrets from the environment, HTTPS behind Heroku's router."""

from .base import *
from .environment import get_bool, get_int, require

SECRET_KEY = require(ENV, "SECRET_KEY")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = get_bool(ENV, "SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = get_int(ENV, "SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Operators sign in again after a working day (Django's default is two weeks).
SESSION_COOKIE_AGE = get_int(ENV, "SESSION_COOKIE_AGE", 12 * 60 * 60)
if ON_HEROKU and not ENV.get("ALLOWED_HOSTS"):
    ALLOWED_HOSTS = [".herokuapp.com"]
