"""The API's endpoints, one module per resource; importing this package registers every route.

* ``discovery``: find an app's connections, link the caller, the app's databases;
* ``connections``: one connection and its actions (import, export, pause, resume, restart,
  errors, describes, OAuth, Salesforce API version);
* ``mappings``: one mapping (read, delete, reload, errors);
* ``notifications``: list and acknowledge;
* ``diagnose``: validation runs and their checks;
* ``control``: the simulator's own ``/__simulator__/`` API;

and what they share: ``common`` (path patterns, 404 lookups, the body), ``representations``
(the JSON objects) and ``queries`` (counts and write errors read from the database).
"""

from heroku_connect.simulator.handlers import (  # noqa: F401 (registers the routes)
    connections,
    control,
    diagnose,
    discovery,
    mappings,
    notifications,
)
