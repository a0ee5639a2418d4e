"""Django integration for Heroku Connect: models, checks, admin, API client and a simulator."""
