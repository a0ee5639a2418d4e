"""Settings of the project whose suite plays "an existing project" (see __init__.py).

Nothing here mentions the development schema: the test database is what the library builds
by default.
"""

import os

import dj_database_url

SECRET_KEY = "project-suite-only-secret-key-that-is-long-enough-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ROOT_URLCONF = "tests.heroku_connect.project.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "heroku_connect",
    "tests.heroku_connect.project.shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("TEST_DATABASE_URL") or os.environ["DATABASE_URL"],
        engine="heroku_connect.db.backends.postgresql",
    )
}
# Its own test database next to the main suite's (several runs share one server).
DATABASES["default"]["TEST"] = {
    "NAME": os.environ.get("HCOP_TEST_DB_NAME", "test_hcop") + "_project"
}
DATABASE_ROUTERS = ["heroku_connect.db.router.HerokuConnectRouter"]

HEROKU_CONNECT_APP_NAME = "shop-app"
HEROKU_AUTH_TOKEN = "project-suite-token"
