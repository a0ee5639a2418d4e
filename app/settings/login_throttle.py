"""Login throttling (django-axes) behind Heroku's router; see app/accounts/throttle.py."""

from datetime import timedelta

from .environment import env, get_int, running_on_heroku

_ENV = env()

#: Failed logins within the cool-off that lock each key (see app/accounts/throttle.py).
LOGIN_THROTTLE_LIMITS = {
    ("username", "ip_address"): get_int(_ENV, "LOGIN_FAILURE_LIMIT", 5),
    ("username",): get_int(_ENV, "LOGIN_FAILURE_LIMIT_PER_USER", 10),
    ("ip_address",): get_int(_ENV, "LOGIN_FAILURE_LIMIT_PER_IP", 20),
}
#: Our own proxies in front of the app, each appending to X-Forwarded-For: Heroku's router on
#: Heroku, none elsewhere (see app/accounts/client_ip.py for why the right-most entries count).
TRUSTED_PROXY_COUNT = get_int(_ENV, "TRUSTED_PROXY_COUNT", 1 if running_on_heroku(_ENV) else 0)

AXES_ENABLED = True
AXES_HANDLER = "app.accounts.throttle.LoginThrottleHandler"
AXES_LOCKOUT_PARAMETERS = [list(key) for key in LOGIN_THROTTLE_LIMITS]
AXES_FAILURE_LIMIT = min(LOGIN_THROTTLE_LIMITS.values())
AXES_COOLOFF_TIME = timedelta(minutes=get_int(_ENV, "LOGIN_COOLOFF_MINUTES", 15))
AXES_CLIENT_IP_CALLABLE = "app.accounts.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "app.accounts.views.locked_out"
# A successful login forgives that account's failures from that address (the handler's rule).
AXES_RESET_ON_SUCCESS = True
# Refused attempts during a lockout do not prolong it, so "try again in N minutes" holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Logins and logouts are in our own audit trail (app.accounts.receivers).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner in every command's output
