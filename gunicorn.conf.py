"""gunicorn settings for Heroku (and `make demo`), after Heroku's sample configuration."""

import os

_development = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".development")

# Heroku routes to $PORT on every interface (IPv4 and IPv6).
bind = os.environ.get("GUNICORN_BIND") or f"[::]:{os.environ.get('PORT', '8000')}"

# No `workers` here: gunicorn reads WEB_CONCURRENCY itself (default 1), which the Python
# buildpack sets at dyno boot from the dyno size unless the operator set it.
worker_class = "gthread"
threads = 5

# Below Heroku's 30 s shutdown window; keep-alive above the router's 90 s idle timeout.
timeout = 20
graceful_timeout = 20
keepalive = 95

accesslog = "-"
errorlog = "-"
access_log_format = (
    'gunicorn method=%(m)s path="%(U)s" status=%(s)s duration=%(M)sms '
    'request_id=%({x-request-id}i)s fwd="%({x-forwarded-for}i)s" bytes=%(B)s'
)

if not _development:
    preload_app = True
    reuse_port = True
    forwarded_allow_ips = "*"
