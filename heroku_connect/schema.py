"""The database objects Heroku Connect creates, reproduced for development and tests.

Real Heroku Connect owns these objects in production. Locally, ``create_development_schema``,
the test-database hook and the simulator build the same ones, so that application writes are
captured into ``_trigger_log`` exactly as in production:

* ``_hcmeta`` and ``_sf_event_log`` (metadata tables),
* ``_trigger_log`` / ``_trigger_log_archive`` with Heroku Connect's column types and indexes,
* ``public.get_xmlbinary()``, the capture functions ``hc_capture_insert_from_row`` /
  ``hc_capture_update_from_row`` and the notify trigger on ``_trigger_log``,
* per mapped table: ``hc_<table>_status`` (BEFORE) and ``hc_<table>_logger`` (AFTER) triggers
  and the ``hc_idx_`` / ``hcu_idx_`` indexes.

One intentional difference from the real DDL: ``_trigger_log_archive.id`` has a default (its
own sequence, ``_trigger_log_archive_id_seq``), so that test fixtures can create archive rows
without an id, as they can in the test tables of the public django-heroku-connect package.
Heroku Connect itself never relies on it: it always copies the id of the ``_trigger_log`` row it
archives (the simulator does the same), so rows made with the default can collide with ids
archived later; give such rows explicit ids when a test also archives live rows.

Heroku Connect marks its own database sessions with ``SET xmlbinary = 'hex'``; the triggers only
capture writes made with the PostgreSQL default (``base64``). :func:`heroku_connect_session_sql`
gives that statement to code (the simulator) that writes the way Heroku Connect does.

Every function returns SQL text or runs it on a DB-API cursor handed in by the caller, so this
module works with Django connections, psycopg 3 and psycopg2 alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: The ``_hcmeta.hcver`` written by the development schema.
HCMETA_VERSION = 10

#: Session setting that makes the capture triggers ignore a connection's writes.
CONNECT_SESSION_SQL = "SET xmlbinary = 'hex'"
APPLICATION_SESSION_SQL = "SET xmlbinary = 'base64'"

TRIGGER_LOG_TABLE = "_trigger_log"
TRIGGER_LOG_ARCHIVE_TABLE = "_trigger_log_archive"

READ_ONLY = "read_only"
READ_WRITE = "read_write"


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (PostgreSQL rules: double quotes, doubled inside)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def qualified(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def heroku_connect_session_sql() -> str:
    """SQL that makes the current session write "as Heroku Connect" (not captured)."""
    return CONNECT_SESSION_SQL


def _trigger_log_columns() -> str:
    return """
    id serial PRIMARY KEY,
    txid bigint,
    created_at timestamp with time zone DEFAULT now(),
    updated_at timestamp with time zone DEFAULT now(),
    processed_at timestamp with time zone,
    processed_tx bigint,
    state character varying(8) NOT NULL,
    action character varying(7) NOT NULL,
    table_name character varying(128) NOT NULL,
    record_id integer NOT NULL,
    sfid character varying(18),
    old text,
    "values" text,
    sf_result integer,
    sf_message text"""


def metadata_sql(schema: str) -> list[str]:
    """Statements creating the schema-wide objects (idempotent where PostgreSQL allows it).

    The schema itself must exist. The ``hstore`` extension is created in ``public``.
    """
    s = quote_ident(schema)
    log = qualified(schema, TRIGGER_LOG_TABLE)
    archive = qualified(schema, TRIGGER_LOG_ARCHIVE_TABLE)
    channel = quote_literal(f"{schema}.hc_trigger_log")
    return [
        'CREATE EXTENSION IF NOT EXISTS "hstore" SCHEMA public',
        f"""CREATE TABLE IF NOT EXISTS {s}."_hcmeta" (
            id serial PRIMARY KEY,
            hcver integer,
            org_id character varying(50),
            details text
        )""",
        f"""CREATE TABLE IF NOT EXISTS {s}."_sf_event_log" (
            id serial PRIMARY KEY,
            table_name character varying(128),
            action character varying(7),
            synced_at timestamp with time zone DEFAULT now(),
            sf_timestamp timestamp with time zone,
            sfid character varying(20),
            record text,
            processed boolean
        )""",
        f'CREATE INDEX IF NOT EXISTS "idx__sf_event_log_comp_key" '
        f'ON {s}."_sf_event_log" (table_name, synced_at)',
        f'CREATE INDEX IF NOT EXISTS "idx__sf_event_log_sfid" ON {s}."_sf_event_log" (sfid)',
        f"CREATE TABLE IF NOT EXISTS {log} ({_trigger_log_columns()})",
        # The one intentional difference from the real DDL (see the module docstring).
        f"CREATE TABLE IF NOT EXISTS {archive} ({_trigger_log_columns()})",
        f'CREATE INDEX IF NOT EXISTS "_trigger_log_idx_created_at" ON {log} (created_at)',
        f'CREATE INDEX IF NOT EXISTS "_trigger_log_idx_state_id" ON {log} (state, id)',
        f'CREATE INDEX IF NOT EXISTS "_trigger_log_idx_state_table_name" ON {log} '
        f"(state, table_name) WHERE state IN ('NEW', 'PENDING')",
        f'CREATE INDEX IF NOT EXISTS "_trigger_log_archive_idx_created_at" '
        f"ON {archive} (created_at)",
        f'CREATE INDEX IF NOT EXISTS "_trigger_log_archive_idx_record_id" ON {archive} (record_id)',
        f'CREATE INDEX IF NOT EXISTS "_trigger_log_archive_idx_state_table_name" ON {archive} '
        f"(state, table_name) WHERE state = 'FAILED'",
        """CREATE OR REPLACE FUNCTION public.get_xmlbinary() RETURNS character varying
            LANGUAGE plpgsql AS $$
        BEGIN
            RETURN current_setting('xmlbinary');
        END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.tlog_notify_trigger() RETURNS trigger
            LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify({channel}, 'ping');
            RETURN NEW;
        END $$""",
        f'DROP TRIGGER IF EXISTS "tlog_insert_trigger" ON {log}',
        f'CREATE TRIGGER "tlog_insert_trigger" AFTER INSERT ON {log} '
        f"FOR EACH ROW EXECUTE PROCEDURE {s}.tlog_notify_trigger()",
        f"""CREATE OR REPLACE FUNCTION {s}.hc_capture_insert_from_row(
                source_row public.hstore,
                table_name character varying,
                excluded_cols text[] DEFAULT ARRAY[]::text[]
            ) RETURNS integer
            LANGUAGE plpgsql AS $$
        DECLARE
            excluded text[];
            log_id integer;
        BEGIN
            IF source_row -> 'id' IS NULL THEN
                RETURN NULL;
            END IF;
            -- id and sfid can never be excluded; Connect's own columns always are.
            excluded := array_remove(array_remove(excluded_cols, 'id'), 'sfid')
                        || ARRAY['_hc_lastop', '_hc_err']::text[];
            INSERT INTO {log} (action, table_name, txid, created_at, updated_at, state,
                               record_id, "values")
            VALUES ('INSERT', table_name, txid_current(), clock_timestamp(), clock_timestamp(),
                    'NEW', (source_row -> 'id')::integer, source_row - excluded)
            RETURNING id INTO log_id;
            RETURN log_id;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.hc_capture_update_from_row(
                source_row public.hstore,
                table_name character varying,
                columns_to_include text[] DEFAULT ARRAY[]::text[]
            ) RETURNS integer
            LANGUAGE plpgsql AS $$
        DECLARE
            excluded text[];
            log_id integer;
        BEGIN
            IF source_row -> 'id' IS NULL THEN
                RETURN NULL;
            END IF;
            excluded := ARRAY['_hc_lastop', '_hc_err']::text[];
            IF array_length(columns_to_include, 1) <> 0 THEN
                excluded := excluded || ARRAY(
                    SELECT k FROM unnest(akeys(source_row)) AS k
                    WHERE k <> ALL (columns_to_include)
                );
            END IF;
            INSERT INTO {log} (action, table_name, txid, created_at, updated_at, state,
                               record_id, sfid, "values", old)
            VALUES ('UPDATE', table_name, txid_current(), clock_timestamp(), clock_timestamp(),
                    'NEW', (source_row -> 'id')::integer, source_row -> 'sfid',
                    source_row - excluded, NULL)
            RETURNING id INTO log_id;
            RETURN log_id;
        END $$""",
    ]


def hcmeta_insert_sql(schema: str, org_id: str = "") -> tuple[str, list[object]]:
    """Insert the single ``_hcmeta`` row if the table is empty."""
    meta = qualified(schema, "_hcmeta")
    return (
        f"INSERT INTO {meta} (hcver, org_id, details) "
        f"SELECT %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM {meta})",
        [HCMETA_VERSION, org_id, "created by heroku_connect development schema"],
    )


def table_trigger_sql(schema: str, table: str, access: str) -> list[str]:
    """Statements installing Heroku Connect's status and logger triggers on a mapped table.

    Application writes (``xmlbinary='base64'``) set ``_hc_lastop='PENDING'`` and are logged as
    ``NEW`` (read-write) or ``READONLY`` (read-only). Connect's writes (``xmlbinary='hex'``)
    are never logged; they mark the row ``SYNCED`` unless the UPDATE sets ``_hc_lastop`` itself.
    """
    if access not in (READ_ONLY, READ_WRITE):
        raise ValueError(f"access must be {READ_ONLY!r} or {READ_WRITE!r}, not {access!r}")
    s = quote_ident(schema)
    target = qualified(schema, table)
    log = qualified(schema, TRIGGER_LOG_TABLE)
    logger = f"{s}.{quote_ident(f'hc_{table}_logger')}"
    status = f"{s}.{quote_ident(f'hc_{table}_status')}"
    read_write = access == READ_WRITE
    captured_state = "'NEW'" if read_write else "'READONLY'"
    # Read-only tables keep READONLY for every action; read-write ones mark no-ops IGNORE.
    delete_without_sfid = "log_state := 'IGNORE';" if read_write else "NULL;"
    unchanged_update = "log_state := 'IGNORE';" if read_write else "NULL;"
    return [
        f"""CREATE OR REPLACE FUNCTION {status}() RETURNS trigger
            LANGUAGE plpgsql AS $$
        BEGIN
            IF public.get_xmlbinary()::text = 'base64' THEN
                NEW._hc_lastop := 'PENDING';
                NEW._hc_err := NULL;
                RETURN NEW;
            END IF;
            IF TG_OP = 'UPDATE' AND NEW._hc_lastop IS NOT NULL
               AND NEW._hc_lastop IS DISTINCT FROM OLD._hc_lastop THEN
                RETURN NEW;
            END IF;
            NEW._hc_lastop := 'SYNCED';
            NEW._hc_err := NULL;
            RETURN NEW;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION {logger}() RETURNS trigger
            LANGUAGE plpgsql AS $$
        DECLARE
            excluded text[] := ARRAY['_hc_lastop', '_hc_err']::text[];
            log_state character varying(8) := {captured_state};
            log_sfid character varying(18);
            log_record_id integer;
            log_values public.hstore;
            log_old public.hstore;
        BEGIN
            IF TG_OP = 'DELETE' THEN
                log_record_id := OLD.id;
                log_old := public.hstore(OLD.*) - excluded;
                log_sfid := OLD.sfid;
                IF OLD.sfid IS NULL THEN
                    {delete_without_sfid}
                END IF;
            ELSIF TG_OP = 'INSERT' THEN
                log_record_id := NEW.id;
                log_values := public.hstore(NEW.*) - excluded;
            ELSE
                log_record_id := NEW.id;
                log_old := public.hstore(OLD.*) - excluded;
                log_values := (public.hstore(NEW.*) - log_old) - excluded;
                log_sfid := OLD.sfid;
                IF log_values = ''::public.hstore THEN
                    {unchanged_update}
                END IF;
            END IF;
            INSERT INTO {log} (txid, created_at, updated_at, state, action, table_name,
                               record_id, sfid, old, "values")
            VALUES (txid_current(), clock_timestamp(), clock_timestamp(), log_state, TG_OP,
                    TG_TABLE_NAME, log_record_id, log_sfid, log_old::text, log_values::text);
            RETURN NULL;
        END $$""",
        f"DROP TRIGGER IF EXISTS {quote_ident(f'hc_{table}_status_trigger')} ON {target}",
        f"CREATE TRIGGER {quote_ident(f'hc_{table}_status_trigger')} "
        f"BEFORE INSERT OR UPDATE ON {target} FOR EACH ROW "
        f"EXECUTE PROCEDURE {status}()",
        f"DROP TRIGGER IF EXISTS {quote_ident(f'hc_{table}_logtrigger')} ON {target}",
        f"CREATE TRIGGER {quote_ident(f'hc_{table}_logtrigger')} "
        f"AFTER INSERT OR UPDATE OR DELETE ON {target} FOR EACH ROW "
        f"WHEN (public.get_xmlbinary()::text = 'base64'::text) "
        f"EXECUTE PROCEDURE {logger}()",
    ]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a mapped table as Heroku Connect creates it."""

    name: str
    sql_type: str


SYSTEM_COLUMNS_HEAD = (ColumnSpec("sfid", "character varying(18)"),)
SYSTEM_COLUMNS_TAIL = (
    ColumnSpec("_hc_lastop", "character varying(32)"),
    ColumnSpec("_hc_err", "text"),
)


def mapped_table_sql(
    schema: str,
    table: str,
    columns: Sequence[ColumnSpec],
    indexes: Mapping[str, bool],
    *,
    access: str,
) -> list[str]:
    """Statements creating a mapped table the way Heroku Connect does.

    ``columns`` lists the data columns (``sfid`` and the ``_hc_*`` columns are added when
    missing); ``indexes`` maps column name to uniqueness. ``sfid`` always gets the unique
    ``hcu_idx_<table>_sfid`` index and ``systemmodstamp`` (when present) ``hc_idx_``.
    """
    names = {c.name for c in columns}
    all_columns: list[ColumnSpec] = [ColumnSpec("id", "serial")]
    all_columns += [c for c in SYSTEM_COLUMNS_HEAD if c.name not in names]
    all_columns += [c for c in columns if c.name != "id"]
    all_columns += [c for c in SYSTEM_COLUMNS_TAIL if c.name not in names]
    target = qualified(schema, table)
    body = ",\n    ".join(
        f"{quote_ident(c.name)} {c.sql_type}" + (" PRIMARY KEY" if c.name == "id" else "")
        for c in all_columns
    )
    statements = [f"CREATE TABLE {target} (\n    {body}\n)"]
    wanted: dict[str, bool] = {"sfid": True}
    if "systemmodstamp" in names:
        wanted["systemmodstamp"] = False
    wanted.update({col: unique for col, unique in indexes.items() if col != "id"})
    statements += index_sql(schema, table, wanted)
    statements += table_trigger_sql(schema, table, access)
    return statements


def index_sql(schema: str, table: str, indexes: Mapping[str, bool]) -> list[str]:
    """``hc_idx_`` (non-unique) and ``hcu_idx_`` (unique) single-column indexes."""
    target = qualified(schema, table)
    statements = []
    for column, unique in indexes.items():
        prefix = "hcu_idx" if unique else "hc_idx"
        kind = "UNIQUE INDEX" if unique else "INDEX"
        name = quote_ident(f"{prefix}_{table}_{column}"[:63])
        statements.append(f"CREATE {kind} IF NOT EXISTS {name} ON {target} ({quote_ident(column)})")
    return statements


def execute_all(cursor, statements: Iterable[str]) -> None:
    """Run each statement on a DB-API cursor (no parameters, so ``%`` needs no escaping)."""
    for statement in statements:
        cursor.execute(statement)
