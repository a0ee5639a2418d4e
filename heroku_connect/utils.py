"""Public names of the public package's ``heroku_connect.utils``, re-exported from their homes.

Enums and constants live in :mod:`heroku_connect.states`, the mapping export in
:mod:`heroku_connect.mapping`, schema creation in :mod:`heroku_connect.dev_schema`, the hstore
parser in :mod:`heroku_connect.hstore` and the Heroku Connect API functions in
:mod:`heroku_connect.api`. Keep this module a list of re-exports.
"""

from heroku_connect.api import (
    _get_authorization_headers,
    get_all_connections_write_modes,
    get_connection,
    get_connection_write_mode,
    get_connections,
    get_unique_connection_write_mode,
    import_mapping,
    link_connection_to_account,
)
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

__all__ = [
    "ERROR_MAPPING_STATES",
    "HEROKU_REQUEST_TIMEOUT",
    "OK_MAPPING_STATES",
    "TEMPORARY_ERROR_MAPPING_STATES",
    "ConnectionStates",
    "HstoreParseError",
    "MappingState",
    "WriteAlgorithm",
    "_get_authorization_headers",
    "_write_algorithm_from_connection_info",
    "create_heroku_connect_schema",
    "get_all_connections_write_modes",
    "get_connected_model_for_table_name",
    "get_connection",
    "get_connection_write_mode",
    "get_connections",
    "get_heroku_connect_models",
    "get_mapping",
    "get_unique_connection_write_mode",
    "hstore_text_to_dict",
    "import_mapping",
    "link_connection_to_account",
]
