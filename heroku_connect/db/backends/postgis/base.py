"""ENGINE ``heroku_connect.db.backends.postgis``: PostGIS with Heroku Connect (needs GDAL/GEOS)."""

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper

from heroku_connect.db.backends.base.base import HerokuConnectDatabaseWrapperMixin


class DatabaseWrapper(HerokuConnectDatabaseWrapperMixin, PostGISDatabaseWrapper):
    display_name = "PostgreSQL with PostGIS and Heroku Connect"
