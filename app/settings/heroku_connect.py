"""Settings of the heroku_connect library (see heroku_connect/conf.py for their defaults)."""

from .environment import env

_ENV = env()

HEROKU_CONNECT_SCHEMA = _ENV.get("HEROKU_CONNECT_SCHEMA", "salesforce")
HEROKU_CONNECT_APP_NAME = _ENV.get("HEROKU_CONNECT_APP_NAME") or _ENV.get("HEROKU_APP_NAME", "")
HEROKU_CONNECT_ORGANIZATION_ID = _ENV.get("HEROKU_CONNECT_ORGANIZATION_ID", "")
# The Heroku Connect API token: app.json calls it HEROKU_CONNECT_API_TOKEN,
# the library HEROKU_AUTH_TOKEN.
HEROKU_AUTH_TOKEN = _ENV.get("HEROKU_AUTH_TOKEN") or _ENV.get("HEROKU_CONNECT_API_TOKEN", "")
HEROKU_CONNECT_API_ENDPOINT = _ENV.get(
    "HEROKU_CONNECT_API_ENDPOINT", "https://connect-eu.heroku.com/api/v3"
)

DATABASE_ROUTERS = ["heroku_connect.db.router.HerokuConnectRouter"]
# Web requests call the API while a browser waits: stay well under the Heroku router's 30 s
# limit (H12), so a hanging API ends in our banner, not the router's error page.
HEROKU_CONNECT_API_TIMEOUT = 10
# /health/ shares Heroku Connect API answers between probes for 60 s (failures 15 s), so uptime
# pollers neither flood the API nor hold web threads while it hangs (heroku_connect.health).
HEROKU_CONNECT_HEALTH_CACHE_SECONDS = 60
