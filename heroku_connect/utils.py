"""Public names of the public package's ``heroku_connect.utils``, re-exported from their homes.

Enums and constants live in :mod:`heroku_connect.states`, the mapping export in
:mod:`heroku_connect.mapping`, schema creation in :mod:`heroku_connect.dev_schema`, the hstore
parser in :mod:`heroku_connect.hstore` and the Heroku Connect API functions in
:mod:`heroku_connect.api`. Keep this module a list of re-exports.
"""

from heroku_connect.dev_schema import create_heroku_connect_schema
from heroku_connect.hstore import HstoreParseError, hstore_text_to_dict
from heroku_connect.mapping import (
    get_connected_model_for_table_name,
    get_heroku_connect_models,
    get_mapping,
)
from heroku_connect.states import (
    ERROR_MAPPING_STATES,
    HEROKU_REQUEST_TIMEOUT,
    OK_MAPPING_STATES,
    TEMPORARY_ERROR_MAPPING_STATES,
    ConnectionStates,
    MappingState,
    WriteAlgorithm,
)
from heroku_connect.states import (
    write_algorithm_from_connection_info as _write_algorithm_from_connection_info,
)

# --- Heroku Connect API (HTTP) functions: re-exported from heroku_connect.api (helper apiclient)

__all__ = [
    "ERROR_MAPPING_STATES",
    "HEROKU_REQUEST_TIMEOUT",
    "OK_MAPPING_STATES",
    "TEMPORARY_ERROR_MAPPING_STATES",
    "ConnectionStates",
    "HstoreParseError",
    "MappingState",
    "WriteAlgorithm",
    "_write_algorithm_from_connection_info",
    "create_heroku_connect_schema",
    "get_connected_model_for_table_name",
    "get_heroku_connect_models",
    "get_mapping",
    "hstore_text_to_dict",
]
