"""Every public name of docs/library/public-api.md exists at its import path with the right kind
and value (the § sections below are that page's).

Existing projects written against django-heroku-connect 6.0 import (and patch) these names, so
the kind matters too: a staticmethod stays a staticmethod, a classmethod a classmethod.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import NotSupportedError
from django.db.models.base import ModelBase

import heroku_connect

PACKAGE_DIR = Path(heroku_connect.__file__).parent


def _static_kind(owner: type, name: str) -> str:
    attribute = inspect.getattr_static(owner, name)
    if isinstance(attribute, staticmethod):
        return "staticmethod"
    if isinstance(attribute, classmethod):
        return "classmethod"
    if isinstance(attribute, property):
        return "property"
    if inspect.isfunction(attribute):
        return "method"
    return type(attribute).__name__


# --- §1 package layout --------------------------------------------------------------------

LAYOUT = {
    "heroku_connect.apps": ["HerokuConnectAppConfig"],
    "heroku_connect.conf": ["HerokuConnectAppConf", "settings"],
    "heroku_connect.checks": ["_check_foreign_key", "_check_unique_sf_object_name"],
    "heroku_connect.utils": ["get_mapping", "create_heroku_connect_schema", "get_connections"],
    "heroku_connect.models": ["TriggerLog", "TriggerLogArchive", "TriggerLogAbstract"],
    "heroku_connect.admin": ["GenericLogModelAdmin", "TriggerLogAdmin"],
    "heroku_connect.migrations.0001_initial": ["Migration"],
    "heroku_connect.db.exceptions": ["WriteNotSupportedError"],
    "heroku_connect.db.router": ["HerokuConnectRouter"],
    "heroku_connect.db.models": ["HerokuConnectModel", "Lookup", "Text"],
    "heroku_connect.db.models.base": [
        "HerokuConnectModel",
        "HerokuConnectModelBase",
        "_HerokuConnectSnitchMixin",
        "READ_ONLY",
        "READ_WRITE",
        "get_heroku_connect_table_name",
    ],
    "heroku_connect.db.models.fields": ["HerokuConnectFieldMixin", "ExternalID"],
    "heroku_connect.db.models.related": [
        "ConstraintlessForeignObjectMixin",
        "Lookup",
        "MasterDetail",
    ],
    "heroku_connect.db.backends.base.base": ["HerokuConnectDatabaseWrapperMixin"],
    "heroku_connect.db.backends.base.creation": [
        "DatabaseCreation",
        "_create_heroku_connect_schema",
    ],
    "heroku_connect.db.backends.postgresql.base": ["DatabaseWrapper"],
    "heroku_connect.db.backends.postgis.base": ["DatabaseWrapper"],
    "heroku_connect.management.commands.makemappings": ["Command"],
    "heroku_connect.management.commands.import_mappings": ["Command"],
    "heroku_connect.management.commands.load_remote_schema": ["Command"],
    "heroku_connect.management.commands.create_development_schema": ["Command"],
    "heroku_connect.contrib.heroku_connect_health_check.apps": ["HealthCheckConfig"],
    "heroku_connect.contrib.heroku_connect_health_check.backends": ["HerokuConnectHealthCheck"],
    "heroku_connect.test.utils": ["heroku_cli", "no_heroku_connect_write_restrictions"],
}


@pytest.mark.parametrize("module_name", sorted(LAYOUT))
def test_layout__module_exists_with_its_names(module_name):
    module = importlib.import_module(module_name)
    for name in LAYOUT[module_name]:
        assert hasattr(module, name), f"{module_name}.{name} is missing"


EMPTY_INIT_PACKAGES = [
    "db",
    "db/backends",
    "db/backends/base",
    "db/backends/postgis",
    "db/backends/postgresql",
    "contrib",
    "contrib/heroku_connect_health_check",
    "management",
    "management/commands",
    "migrations",
]


@pytest.mark.parametrize("package", EMPTY_INIT_PACKAGES)
def test_layout__package_init_is_empty(package):
    assert (PACKAGE_DIR / package / "__init__.py").read_text().strip() == ""


@pytest.mark.parametrize("package", ["", "test"])
def test_layout__package_init_is_docstring_only(package):
    module = importlib.import_module(f"heroku_connect{'.' + package if package else ''}")
    assert module.__doc__
    public = [name for name in vars(module) if not name.startswith("__")]
    # Submodules imported elsewhere show up as attributes; nothing else is defined there.
    assert all(inspect.ismodule(getattr(module, name)) for name in public)


def test_layout__db_models_exposes_submodules():
    import heroku_connect.db.models as db_models

    assert db_models.fields is importlib.import_module("heroku_connect.db.models.fields")
    assert db_models.base is importlib.import_module("heroku_connect.db.models.base")
    assert db_models.related is importlib.import_module("heroku_connect.db.models.related")
    for name in ("HerokuConnectModel", "READ_ONLY", "READ_WRITE"):
        assert getattr(db_models, name) is getattr(db_models.base, name)
    for name in db_models.fields.__all__:
        assert getattr(db_models, name) is getattr(db_models.fields, name)
    for name in db_models.related.__all__:
        assert getattr(db_models, name) is getattr(db_models.related, name)


# --- §2.1 / §2.2 app config and settings -------------------------------------------------


def test_app_config():
    from django.apps import apps

    from heroku_connect.apps import HerokuConnectAppConfig

    assert HerokuConnectAppConfig.name == "heroku_connect"
    assert HerokuConnectAppConfig.verbose_name == "Heroku Connect"
    assert "default_auto_field" not in vars(HerokuConnectAppConfig)
    assert apps.get_app_config("heroku_connect").label == "heroku_connect"
    assert _static_kind(HerokuConnectAppConfig, "ready") == "method"


def test_conf__all_and_settings_object():
    from appconf import AppConf

    from heroku_connect import conf

    assert conf.__all__ == ("settings",)
    assert conf.settings is django_settings
    assert issubclass(conf.HerokuConnectAppConf, AppConf)
    for name in (
        "HEROKU_CONNECT_SCHEMA",
        "HEROKU_CONNECT_ORGANIZATION_ID",
        "HEROKU_CONNECT_APP_NAME",
        "HEROKU_CONNECT_API_ENDPOINT",
        "HEROKU_AUTH_TOKEN",
    ):
        assert hasattr(django_settings, name), name


# --- §2.3 base --------------------------------------------------------------------------------


def test_base__constants_and_all():
    from heroku_connect.db.models import base

    assert base.READ_ONLY == "read_only"
    assert base.READ_WRITE == "read_write"
    assert set(base.__all__) == {"HerokuConnectModel", "READ_ONLY", "READ_WRITE"}
    assert inspect.isfunction(base.get_heroku_connect_table_name)


def test_base__model_class_kinds_and_defaults():
    from django.db import models

    from heroku_connect.db.models.base import (
        HerokuConnectModel,
        HerokuConnectModelBase,
        _HerokuConnectSnitchMixin,
    )

    assert issubclass(HerokuConnectModelBase, ModelBase)
    assert type(HerokuConnectModel) is HerokuConnectModelBase
    assert HerokuConnectModel.__bases__ == (_HerokuConnectSnitchMixin, models.Model)
    assert HerokuConnectModel._meta.abstract is True
    assert HerokuConnectModel.Meta.managed is False
    assert HerokuConnectModel.sf_object_name == ""
    assert HerokuConnectModel.sf_access == "read_only"
    assert HerokuConnectModel.sf_notify_enabled is False
    assert HerokuConnectModel.sf_polling_seconds == 600
    assert HerokuConnectModel.sf_max_daily_api_calls == 30000
    for name in (
        "get_heroku_connect_fields",
        "get_heroku_connect_field_mapping",
        "get_heroku_connect_mapping",
        "get_heroku_connect_table_name",
        "check",
        "_check_sf_object_name",
        "_check_sf_access",
        "_check_unique_sf_field_names",
        "_check_upsert_field",
        "_check_missing_upsert_field",
    ):
        assert _static_kind(HerokuConnectModel, name) == "classmethod", name


# --- §2.4 / §2.5 fields ----------------------------------------------------------------------


def test_fields__all_in_spec_order_and_bases():
    from django.db import models

    from heroku_connect.db.models import fields

    assert list(fields.__all__) == [
        "HerokuConnectFieldMixin",
        "AnyType",
        "ID",
        "ExternalID",
        "Checkbox",
        "Number",
        "Currency",
        "Date",
        "DateTime",
        "Email",
        "EncryptedString",
        "Percent",
        "Phone",
        "Picklist",
        "Text",
        "TextArea",
        "TextAreaLong",
        "Time",
        "URL",
    ]
    django_bases = {
        "AnyType": models.TextField,
        "ID": models.CharField,
        "ExternalID": models.UUIDField,
        "Checkbox": models.BooleanField,
        "Number": models.DecimalField,
        "Currency": fields.Number,
        "Percent": fields.Number,
        "Date": models.DateField,
        "DateTime": models.DateTimeField,
        "Email": models.EmailField,
        "EncryptedString": models.CharField,
        "Phone": models.CharField,
        "Picklist": models.CharField,
        "Text": models.CharField,
        "TextArea": models.CharField,
        "TextAreaLong": models.TextField,
        "Time": models.TimeField,
        "URL": models.URLField,
    }
    for name, django_base in django_bases.items():
        cls = getattr(fields, name)
        assert issubclass(cls, fields.HerokuConnectFieldMixin), name
        assert issubclass(cls, django_base), name
    assert fields.HerokuConnectFieldMixin.sf_field_name is None
    assert fields.HerokuConnectFieldMixin.upsert is False


def test_related__all_and_bases():
    from django.db import models

    from heroku_connect.db.models import related
    from heroku_connect.db.models.fields import HerokuConnectFieldMixin

    assert list(related.__all__) == ["ConstraintlessForeignObjectMixin", "Lookup", "MasterDetail"]
    for cls in (related.Lookup, related.MasterDetail):
        assert cls.__bases__ == (
            related.ConstraintlessForeignObjectMixin,
            HerokuConnectFieldMixin,
            models.ForeignKey,
        )


# --- §2.6 / §2.7 exceptions, router, backends --------------------------------------------


def test_exceptions_and_router():
    from heroku_connect.db import exceptions
    from heroku_connect.db.router import HerokuConnectRouter

    assert exceptions.__all__ == ("WriteNotSupportedError",)
    assert issubclass(exceptions.WriteNotSupportedError, NotSupportedError)
    assert _static_kind(HerokuConnectRouter, "db_for_write") == "method"
    for name in ("db_for_read", "allow_relation", "allow_migrate"):
        assert not hasattr(HerokuConnectRouter, name), name


def test_backends__wrappers_and_creation():
    from tests.needs import require_gdal

    require_gdal()
    from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGIS
    from django.db.backends.postgresql.base import DatabaseWrapper as Postgres
    from django.db.backends.postgresql.creation import DatabaseCreation as PostgresCreation

    from heroku_connect.db.backends.base.base import HerokuConnectDatabaseWrapperMixin
    from heroku_connect.db.backends.base.creation import (
        DatabaseCreation,
        _create_heroku_connect_schema,
    )
    from heroku_connect.db.backends.postgis.base import DatabaseWrapper as HCPostGIS
    from heroku_connect.db.backends.postgresql.base import DatabaseWrapper as HCPostgres

    assert issubclass(DatabaseCreation, PostgresCreation)
    assert inspect.isfunction(_create_heroku_connect_schema)
    assert HerokuConnectDatabaseWrapperMixin.creation_class is DatabaseCreation
    assert HCPostgres.__bases__ == (HerokuConnectDatabaseWrapperMixin, Postgres)
    assert HCPostGIS.__bases__ == (HerokuConnectDatabaseWrapperMixin, PostGIS)
    assert HCPostgres.display_name == "PostgreSQL with Heroku Connect"
    assert HCPostGIS.display_name == "PostgreSQL with PostGIS and Heroku Connect"
    assert HCPostgres.creation_class is HCPostGIS.creation_class is DatabaseCreation


def test_backends__search_path_is_a_string_on_the_class():
    """The public package computes ``search_path`` as a plain class attribute string."""
    from heroku_connect.db.backends.base.base import HerokuConnectDatabaseWrapperMixin
    from heroku_connect.db.backends.postgresql.base import DatabaseWrapper

    expected = "public,salesforce,pg_catalog"
    assert HerokuConnectDatabaseWrapperMixin.search_path == expected
    assert DatabaseWrapper.search_path == expected


# --- §2.8 checks ------------------------------------------------------------------------------


def test_checks__functions_and_registration():
    from django.core import checks as django_checks

    from heroku_connect import checks

    assert inspect.isfunction(checks._check_foreign_key)
    assert inspect.isfunction(checks._check_unique_sf_object_name)
    assert "get_heroku_connect_models" in vars(checks)  # patched by existing test suites
    registered = django_checks.registry.registry.get_checks()
    for function in (checks._check_foreign_key, checks._check_unique_sf_object_name):
        assert function in registered
        assert list(function.tags) == [django_checks.Tags.models]


# --- §2.9 utils -------------------------------------------------------------------------------


def test_utils__constants_and_enums():
    from heroku_connect import utils

    assert utils.HEROKU_REQUEST_TIMEOUT == 30
    names = [
        "IDLE",
        "POLLING_DB_CHANGES",
        "IMPORT_CONFIGURATION",
        "BUSY",
        "NEED_AUTHENTICATION",
        "INACTIVE_ORG",
        "PAUSED",
    ]
    assert inspect.isclass(utils.ConnectionStates)
    for name in names:
        assert getattr(utils.ConnectionStates, name) == name
    assert tuple(utils.ConnectionStates.OK_STATES) == (
        "IDLE",
        "POLLING_DB_CHANGES",
        "IMPORT_CONFIGURATION",
        "BUSY",
    )

    mapping_state = utils.MappingState
    assert issubclass(mapping_state, str)
    assert issubclass(mapping_state, enum.Enum)
    assert [member.name for member in mapping_state] == [
        "DATA_SYNCED",
        "INITIAL",
        "RESYNC",
        "RELOAD_TABLE",
        "SCHEMA_CHANGED",
        "POLLING_SF_CHANGES",
        "POLLING_SF_BULK",
        "POLLING_SF_FOR_DELETES",
        "WAIT_BULK_LOAD",
        "LOADING_BULK_JOB",
        "RESOLVE_EXTERNAL_IDS",
        "BULK_LOAD_ERROR",
        "WAIT_BULK_UPDATE",
        "APPLYING_BULK_UPDATE",
        "POLL_EXTERNAL_IDS",
        "RECOVERY",
        "ABORTED",
        "SYSTEM_ERROR",
        "DB_UNAVAILABLE",
        "BAD_CONFIG",
        "SYNC_REMOVED",
        "INACTIVE_ORG",
        "UNAUTHORIZED",
    ]
    assert all(member.value == member.name for member in mapping_state)
    assert {m.name for m in utils.OK_MAPPING_STATES} == {
        "DATA_SYNCED",
        "RESYNC",
        "RELOAD_TABLE",
        "POLLING_SF_CHANGES",
        "POLLING_SF_BULK",
        "POLLING_SF_FOR_DELETES",
        "WAIT_BULK_LOAD",
        "LOADING_BULK_JOB",
        "RESOLVE_EXTERNAL_IDS",
        "WAIT_BULK_UPDATE",
        "APPLYING_BULK_UPDATE",
        "POLL_EXTERNAL_IDS",
        "ABORTED",
    }
    assert {m.name for m in utils.TEMPORARY_ERROR_MAPPING_STATES} == {
        "INITIAL",
        "SCHEMA_CHANGED",
        "RECOVERY",
    }
    assert {m.name for m in utils.ERROR_MAPPING_STATES} == {
        "BULK_LOAD_ERROR",
        "SYSTEM_ERROR",
        "DB_UNAVAILABLE",
        "BAD_CONFIG",
        "SYNC_REMOVED",
        "INACTIVE_ORG",
        "UNAUTHORIZED",
    }
    assert issubclass(utils.WriteAlgorithm, enum.Enum)
    assert {m.name: m.value for m in utils.WriteAlgorithm} == {
        "MERGE_WRITES": 1,
        "ORDERED_WRITES": 2,
    }


def test_utils__functions():
    from heroku_connect import utils

    for name in (
        "_write_algorithm_from_connection_info",
        "get_mapping",
        "get_heroku_connect_models",
        "create_heroku_connect_schema",
        "_get_authorization_headers",
        "get_connections",
        "get_connection",
        "import_mapping",
        "link_connection_to_account",
        "get_all_connections_write_modes",
        "get_connection_write_mode",
        "hstore_text_to_dict",
    ):
        assert inspect.isfunction(getattr(utils, name)), name
    # lru_cache-wrapped in the public package: callable with cache_clear().
    for name in ("get_connected_model_for_table_name", "get_unique_connection_write_mode"):
        function = getattr(utils, name)
        assert callable(function), name
        assert callable(function.cache_clear), name
    assert list(inspect.signature(utils.get_mapping).parameters) == [
        "version",
        "exported_at",
        "app_name",
    ]
    assert inspect.signature(utils.get_mapping).parameters["version"].default == 1
    assert inspect.signature(utils.get_connection).parameters["deep"].default is False
    assert (
        inspect.signature(utils.create_heroku_connect_schema).parameters["using"].default
        == "default"
    )


# --- §2.10 models -------------------------------------------------------------------------


def test_models__constants():
    from heroku_connect import models

    assert models.TRIGGER_LOG_ACTION == {"INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE"}
    assert list(models.TRIGGER_LOG_ACTION_CHOICES) == [
        ("DELETE", "DELETE"),
        ("INSERT", "INSERT"),
        ("UPDATE", "UPDATE"),
    ]
    states = [
        "SUCCESS",
        "MERGED",
        "IGNORED",
        "FAILED",
        "READONLY",
        "NEW",
        "IGNORE",
        "PENDING",
        "REQUEUE",
        "REQUEUED",
    ]
    expected_states = {state: state for state in states}
    assert expected_states == models.TRIGGER_LOG_STATE
    assert list(models.TRIGGER_LOG_STATE_CHOICES) == [(s, s) for s in sorted(states)]
    # Plain str values, as in the public package (JSON and templates see the text).
    assert all(type(value) is str for value in models.TRIGGER_LOG_STATE.values())


def test_models__trigger_log_classes():
    from django.db import models as django_models

    from heroku_connect import models

    assert issubclass(models.TriggerLogQuerySet, django_models.QuerySet)
    for name in ("failed", "related_to"):
        assert _static_kind(models.TriggerLogQuerySet, name) == "method"
    abstract = models.TriggerLogAbstract
    assert abstract._meta.abstract is True
    assert abstract.is_archived is False
    assert models.TriggerLogArchive.is_archived is True
    assert issubclass(models.TriggerLog, abstract)
    assert issubclass(models.TriggerLogArchive, abstract)
    kinds = {
        "values_as_dict": "property",
        "__str__": "method",
        "get_model": "method",
        "related": "method",
        "capture_insert_from_model": "classmethod",
        "capture_update_from_model": "classmethod",
        "capture_insert": "method",
        "capture_update": "method",
        "_recapture": "method",
        "_fieldnames_to_colnames": "staticmethod",
        "_compile_sql": "staticmethod",
    }
    for name, kind in kinds.items():
        assert _static_kind(abstract, name) == kind, name
    for cls in (models.TriggerLog, models.TriggerLogArchive):
        assert _static_kind(cls, "redo") == "method"
        assert isinstance(cls.objects.all(), models.TriggerLogQuerySet)
    assert models.TriggerLog._meta.label == "heroku_connect.TriggerLog"
    assert models.TriggerLog._meta.model_name == "triggerlog"
    assert models.TriggerLogArchive._meta.model_name == "triggerlogarchive"
    # Field order and columns: trigger_log/test_models.py.


# --- §2.11 admin ----------------------------------------------------------------------------


def test_admin__names_and_kinds():
    from django.contrib import admin as django_admin

    from heroku_connect import admin

    for name in (
        "_replaced",
        "_get_admin_route_name",
        "_build_admin_filter_url",
        "_make_admin_link_to_similar",
        "_ignore_failed_logs",
        "_retry_failed_log",
    ):
        assert inspect.isfunction(getattr(admin, name)), name
    assert issubclass(admin.GenericLogModelAdmin, django_admin.ModelAdmin)
    assert issubclass(admin.TriggerLogAdmin, admin.GenericLogModelAdmin)
    for name in ("table_name_link", "record_id_link", "action_label", "state_label"):
        assert _static_kind(admin.GenericLogModelAdmin, name) == "method", name
    for name in ("ignore_failed_logs_action", "retry_failed_logs_action"):
        assert _static_kind(admin.TriggerLogAdmin, name) == "method", name
    assert admin.TriggerLogAdmin.actions == [
        "ignore_failed_logs_action",
        "retry_failed_logs_action",
    ]


# --- §2.12 management commands ------------------------------------------------------------


def _command(name):
    module = importlib.import_module(f"heroku_connect.management.commands.{name}")
    return module.Command


def _options(name):
    parser = _command(name)().create_parser("manage.py", name)
    return {action.dest: action for action in parser._actions}


def test_commands__help_texts():
    assert _command("import_mappings").help == "Import Heroku Connect mappings to connection."
    assert _command("load_remote_schema").help == (
        "Load schema from remote Heroku PostgreSQL database."
    )
    assert _command("create_development_schema").help == (
        "Create Heroku Connect schema for local development."
    )


def test_commands__keep_default_system_checks():
    from django.core.management.base import BaseCommand

    for name in (
        "makemappings",
        "import_mappings",
        "load_remote_schema",
        "create_development_schema",
    ):
        assert _command(name).requires_system_checks == BaseCommand.requires_system_checks


def test_commands__options():
    options = _options("makemappings")
    assert options["output"].option_strings == ["-o"]

    options = _options("import_mappings")
    assert options["HEROKU_APP"].option_strings == ["--app", "-a"]
    assert options["CONNECTION_ID"].option_strings == ["--connection", "-c"]
    assert options["wait"].option_strings == ["--wait", "-w"]
    assert options["wait"].default is False
    assert options["wait_interval"].option_strings == ["--wait-interval"]
    assert options["wait_interval"].default == 10
    assert options["wait_interval"].type is int
    assert options["timeout"].default == 600

    options = _options("load_remote_schema")
    assert options["HEROKU_APP"].option_strings == ["--app", "-a"]
    assert options["SCHEMA_NAME"].option_strings == ["--schema", "-s"]
    assert options["SCHEMA_NAME"].default == "salesforce"

    options = _options("create_development_schema")
    assert options["force"].option_strings == ["--force", "-f"]
    assert options["database"].default == "default"


def test_commands__method_kinds():
    import_mappings = _command("import_mappings")
    assert _static_kind(import_mappings, "wait_for_import") == "method"
    assert _static_kind(import_mappings, "get_connections") == "staticmethod"
    load_remote_schema = _command("load_remote_schema")
    assert _static_kind(load_remote_schema, "get_database_url") == "staticmethod"
    assert _static_kind(load_remote_schema, "parse_credentials") == "method"
    assert _static_kind(load_remote_schema, "get_schema") == "staticmethod"
    parameters = inspect.signature(load_remote_schema.get_schema).parameters
    assert set(parameters) == {"user", "host", "port", "dbname", "passwd", "schema_name"}


# --- §2.13 health check (4.x here; 3.x in tests/heroku_connect/hc3) ----------------------


def test_health_check__app_config_and_class():
    from health_check.base import HealthCheck

    from heroku_connect.contrib.heroku_connect_health_check.apps import HealthCheckConfig
    from heroku_connect.contrib.heroku_connect_health_check.backends import (
        HerokuConnectHealthCheck,
    )

    assert HealthCheckConfig.name == "heroku_connect.contrib.heroku_connect_health_check"
    assert HealthCheckConfig.name.rpartition(".")[2] == "heroku_connect_health_check"
    assert issubclass(HerokuConnectHealthCheck, HealthCheck)
    assert dataclasses.is_dataclass(HerokuConnectHealthCheck)


def test_health_check__module_logger_named_like_the_public_package():
    """``backends.logger`` exists with the public package's name ``health-check``."""
    from heroku_connect.contrib.heroku_connect_health_check import backends

    assert backends.logger.name == "health-check"


# --- §2.14 / §2.15 test utilities and migration --------------------------------------------


def test_test_utils__all_and_kinds():
    from heroku_connect.test import utils

    assert utils.__all__ == ("heroku_cli", "no_heroku_connect_write_restrictions")
    assert inspect.isfunction(utils.heroku_cli)
    assert inspect.isfunction(utils.no_heroku_connect_write_restrictions)
    assert list(inspect.signature(utils.heroku_cli).parameters) == [
        "stdout",
        "stderr",
        "exit_code",
    ]
    defaults = [p.default for p in inspect.signature(utils.heroku_cli).parameters.values()]
    assert defaults == ["", "", 0]


def test_migration__0001_initial_creates_both_models():
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = sorted(name for label, name in loader.disk_migrations if label == "heroku_connect")
    assert names == ["0001_initial"]
    migration = loader.disk_migrations[("heroku_connect", "0001_initial")]
    assert migration.initial is True
    created = {op.name: op.options for op in migration.operations}
    assert set(created) == {"TriggerLog", "TriggerLogArchive"}
    assert created["TriggerLog"]["managed"] is False
    assert created["TriggerLog"]["db_table"] == 'salesforce"."_trigger_log'
    assert created["TriggerLogArchive"]["db_table"] == 'salesforce"."_trigger_log_archive'


def test_admin_url_names():
    from django.urls import reverse

    assert reverse("admin:heroku_connect_triggerlog_changelist")
    assert reverse("admin:heroku_connect_triggerlogarchive_changelist")
