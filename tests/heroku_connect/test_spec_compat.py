"""docs/library/public-api.md items that had no test of their own (the § sections below are
that page's).

Check ``obj`` values, the multi-table-inheritance parent link, what ``makemigrations`` records
for connected models, the console styles of ``import_mappings``, warning-free use of the
package and its independence from ``app`` and ``tests``.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import color_style
from django.db import models
from django.db.migrations.state import ModelState
from django.test.utils import isolate_apps

import heroku_connect.checks
from heroku_connect.db import models as hc_models
from tests.heroku_connect.api.fake_api import FakeConnectAPI, Reply, serving
from tests.heroku_connect.test_packaging import _imported_modules

REPO = Path(__file__).resolve().parents[2]
TESTS_APP = "tests.heroku_connect.apps.HerokuConnectTestsConfig"


@pytest.fixture
def isolated(monkeypatch):
    """An isolated registry that the project-wide checks scan instead of the real one."""
    with isolate_apps(TESTS_APP) as registry:
        monkeypatch.setattr(heroku_connect.checks, "apps", registry)
        yield registry


def _number_model():
    class Number(hc_models.HerokuConnectModel):
        sf_object_name = "Number__c"
        sf_access = hc_models.READ_WRITE
        external_id = hc_models.ExternalID(sf_field_name="External_ID__c")

    return Number


# --- §2.8 checks: obj and the multi-table-inheritance parent link --------------------------


def test_relation_checks__no_obj(isolated):
    """E005, W001 and E008 carry no ``obj`` (only E006 names its model)."""
    target = _number_model()

    class Other(models.Model):  # noqa: DJ008
        number = models.ForeignKey(target, on_delete=models.CASCADE)
        numbers = models.ManyToManyField(target, related_name="+")

    messages = heroku_connect.checks._check_foreign_key(None)
    assert {m.id for m in messages} == {
        "heroku_connect.E005",
        "heroku_connect.W001",
        "heroku_connect.E008",
    }
    assert [m.obj for m in messages] == [None] * len(messages)


def test_relation_checks__ignore_app_configs(isolated):
    """``app_configs`` is ignored: every model of every label is scanned."""
    target = _number_model()

    class Other(models.Model):  # noqa: DJ008
        number = models.ForeignKey(target, on_delete=models.CASCADE)

    unrelated = [apps.get_app_config("auth")]
    assert heroku_connect.checks._check_foreign_key(unrelated) == (
        heroku_connect.checks._check_foreign_key(None)
    )
    assert len(heroku_connect.checks._check_foreign_key(unrelated)) == 3


def test_relation_checks__implicit_mti_parent_link(isolated):
    """The implicit parent link of a managed MTI child gives E005, W001 and E008."""
    parent = _number_model()

    class Child(parent):  # noqa: DJ008
        class Meta:
            managed = True

    messages = heroku_connect.checks._check_foreign_key(None)
    assert [(m.id, m.msg.split(" ")[0]) for m in messages] == [
        ("heroku_connect.E005", "hc_tests.Child.number_ptr"),
        ("heroku_connect.W001", "hc_tests.Child.number_ptr"),
        ("heroku_connect.E008", "hc_tests.Child.number_ptr"),
    ]


def test_relation_checks__explicit_mti_parent_link_is_clean(isolated):
    """An explicit parent link to the upsert field without a constraint is clean."""
    parent = _number_model()

    class Child(parent):  # noqa: DJ008
        number_ptr = models.OneToOneField(
            parent,
            parent_link=True,
            on_delete=models.CASCADE,
            to_field="external_id",
            db_constraint=False,
        )

        class Meta:
            managed = True

    assert heroku_connect.checks._check_foreign_key(None) == []


def test_model_checks__no_obj(isolated):
    """E001-E004 and E007 are reported without ``obj``."""

    class Broken(hc_models.HerokuConnectModel):
        sf_access = "write_only"
        a = hc_models.Text(sf_field_name="A", max_length=5, upsert=True)
        b = hc_models.Text(sf_field_name="A", max_length=5, upsert=True)

    class ReadWrite(hc_models.HerokuConnectModel):
        sf_object_name = "RW"
        sf_access = hc_models.READ_WRITE

    found = [
        (m.id, m.obj)
        for m in Broken.check() + ReadWrite.check()
        if m.id.startswith("heroku_connect.")
    ]
    assert found == [
        ("heroku_connect.E001", None),
        ("heroku_connect.E002", None),
        ("heroku_connect.E003", None),
        ("heroku_connect.E004", None),
        ("heroku_connect.E007", None),
    ]


# --- §2.3 / §2.4 what makemigrations records ------------------------------------------------


def test_migration_state__connected_model_options_and_fields(isolated):
    """Meta carries ``managed: False`` and the schema-qualified ``db_table`` into migrations,
    and every HC field deconstructs with ``sf_field_name`` and ``upsert``."""

    class Thing(hc_models.HerokuConnectModel):
        sf_object_name = "Thing__c"
        name = hc_models.Text(sf_field_name="Name", max_length=80)
        code = hc_models.ExternalID(sf_field_name="Code__c")

        class Meta:
            managed = True  # overridden by the metaclass

    assert Thing.Meta.managed is False
    state = ModelState.from_model(Thing)
    assert state.options["managed"] is False
    assert state.options["db_table"] == 'salesforce"."thing__c'
    fields = dict(state.fields)
    assert list(fields) == [
        "id",
        "sf_id",
        "system_mod_stamp",
        "is_deleted",
        "_hc_lastop",
        "_hc_err",
        "name",
        "code",
    ]
    _, path, _, kwargs = fields["code"].deconstruct()
    assert path == "heroku_connect.db.models.fields.ExternalID"
    assert (kwargs["sf_field_name"], kwargs["upsert"]) == ("Code__c", True)
    _, path, _, kwargs = fields["sf_id"].deconstruct()
    assert path == "heroku_connect.db.models.fields.ID"
    assert (kwargs["sf_field_name"], kwargs["upsert"], kwargs["db_column"]) == (
        "Id",
        False,
        "sfid",
    )
    # Reconstructing from the migration's kwargs gives the same field.
    for field in fields.values():
        name, path, args, kwargs = field.deconstruct()
        clone = field.__class__(*args, **kwargs)
        assert clone.deconstruct()[1:] == (path, args, kwargs)


# --- §2.4 Picklist max_length with every form of choices Django accepts ---------------------


class _LongChoices(models.TextChoices):
    LONG = "l" * 300, "Long"
    SHORT = "s", "Short"


@pytest.mark.parametrize(
    ("choices", "max_length"),
    [
        ([("a", "A"), ("Group", [("g" * 280, "G")])], 280),
        (_LongChoices, 300),
        (_LongChoices.choices, 300),
        ({"m" * 260: "M", "Group": {"n": "N"}}, 260),
        (lambda: [("c" * 270, "C")], 270),
        ([("a", "A")], 255),
    ],
    ids=["pairs", "choices-class", "choices-list", "mapping", "callable", "short"],
)
def test_picklist__max_length_for_every_choices_form(choices, max_length):
    """max(255, longest flattened value) also for a Choices class, a mapping or a callable."""
    field = hc_models.Picklist(sf_field_name="P", choices=choices)
    assert field.max_length == max_length
    assert hc_models.Picklist(sf_field_name="P", choices=choices, max_length=3).max_length == 3


# --- §2.12 import_mappings console styles ---------------------------------------------------


@pytest.fixture
def fake_api(settings):
    from heroku_connect.api import get_unique_connection_write_mode

    with serving(FakeConnectAPI()) as api:
        settings.HEROKU_CONNECT_API_ENDPOINT = api.api_url
        settings.HEROKU_AUTH_TOKEN = "s3cret-test-token"
        settings.HEROKU_CONNECT_APP_NAME = "hcop-test"
        get_unique_connection_write_mode.cache_clear()
        yield api


def _import_mappings(**options) -> str:
    out = io.StringIO()
    call_command(
        "import_mappings", "--wait", "--wait-interval", "0", stdout=out, skip_checks=True, **options
    )
    return out.getvalue()


def test_import_mappings__styles_per_line_when_colored(fake_api):
    """On a colour terminal NOTICE/WARNING styles apply per line; dots and Done! are plain."""
    fake_api.add(
        "GET",
        "/connections",
        Reply(200, {"results": []}),
        Reply(200, {"results": [{"id": "c-1"}]}),
    )
    fake_api.add("POST", "/users/me/apps/hcop-test/auth", status=200, body={})
    fake_api.add("POST", "/connections/c-1/actions/import", status=202)
    fake_api.add(
        "GET",
        "/connections/c-1",
        Reply(200, {"id": "c-1", "state": "IMPORT_CONFIGURATION"}),
        Reply(200, {"id": "c-1", "state": "IDLE"}),
    )
    style = color_style(force_color=True)
    assert _import_mappings(force_color=True) == (
        style.NOTICE("Fetching connections.")
        + "\n"
        + style.WARNING(
            "No associated connections found for the current user with the app 'hcop-test'."
        )
        + "\n"
        + style.NOTICE("Linking the current user with Heroku Connect.")
        + "\n"
        + style.NOTICE("Fetching connections.")
        + "\n"
        + style.NOTICE("Uploading mapping...")
        + "\n"
        + style.NOTICE("Waiting for import")
        + ".. Done!\n"
    )


def test_import_mappings__no_styles_without_a_terminal(fake_api):
    """Not on a terminal (and with --no-color): the plain lines, no escape sequences."""
    fake_api.add("GET", "/connections", body={"results": [{"id": "c-1"}]})
    fake_api.add("POST", "/connections/c-1/actions/import", status=202)
    fake_api.add("GET", "/connections/c-1", body={"id": "c-1", "state": "IDLE"})
    expected = "Fetching connections.\nUploading mapping...\nWaiting for import. Done!\n"
    assert _import_mappings() == expected
    assert _import_mappings(no_color=True) == expected


# --- Further requirements: no warnings, no imports of the project or its tests --------------

_USE_PACKAGE = """
import io
import django
django.setup()
import heroku_connect.models, heroku_connect.admin, heroku_connect.utils
import heroku_connect.api, heroku_connect.checks, heroku_connect.db.router
import heroku_connect.contrib.heroku_connect_health_check.backends
import heroku_connect.test.utils
from django.core.management import call_command
from heroku_connect.utils import get_mapping, hstore_text_to_dict
call_command("check", stdout=io.StringIO())
call_command("makemappings", stdout=io.StringIO())
assert get_mapping()["mappings"]
assert hstore_text_to_dict('"a"=>"1"') == {"a": "1"}
print("ok")
"""


@pytest.mark.slow
def test_package__imports_and_runs_with_warnings_as_errors():
    """``python -W error``: importing and using the package in a configured Django warns not."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "app.settings.test", "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _USE_PACKAGE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert "Warning" not in result.stderr


def _imports(path: Path):
    """Modules imported by ``path``: import statements and ``import_module("...")`` calls."""
    yield from _imported_modules(path)
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value


def test_library__never_imports_the_project_or_its_tests():
    """No module under heroku_connect/ imports ``app`` or ``tests`` (also via import_module)."""
    offenders = [
        f"{path.relative_to(REPO)}: {module}"
        for path in (REPO / "heroku_connect").rglob("*.py")
        for module in _imports(path)
        if module.split(".")[0] in {"app", "tests"}
    ]
    assert offenders == []


# --- §2.6 router: every write path, MTI children and non-HC classes ------------------------


def test_router__every_orm_write_path_raises_before_any_query():
    """save(), delete(), create(), bulk_create(), update() and delete() on a read-only model.

    No ``django_db`` mark: pytest-django fails any database access, so none happens.
    """
    from app.salesforce.models import User
    from heroku_connect.db.exceptions import WriteNotSupportedError

    user = User(pk=1, name="x")
    writes = [
        user.save,
        user.delete,
        lambda: User.objects.create(name="x"),
        lambda: User.objects.bulk_create([User(name="x")]),
        lambda: User.objects.filter(pk=1).update(name="y"),
        lambda: User.objects.filter(pk=1).delete(),
    ]
    for write in writes:
        with pytest.raises(WriteNotSupportedError, match=r"is a read-only model\.$"):
            write()


def test_router__managed_mti_child_and_plain_class_with_sf_access(isolated):
    """Managed MTI children inheriting READ_ONLY and any class with sf_access are blocked."""
    from heroku_connect.db.exceptions import WriteNotSupportedError
    from heroku_connect.db.router import HerokuConnectRouter

    class Parent(hc_models.HerokuConnectModel):
        sf_object_name = "Parent__c"

    class Child(Parent):  # noqa: DJ008
        class Meta:
            managed = True

    class Plain:
        sf_access = hc_models.READ_ONLY

    class Broken:
        @property
        def sf_access(self):
            raise AttributeError("no access")

    router = HerokuConnectRouter()
    assert Child._meta.managed is True
    for model in (Child, Plain):
        with pytest.raises(WriteNotSupportedError) as caught:
            router.db_for_write(model, instance=None)
        assert str(caught.value) == f"{model!r} is a read-only model."
    assert router.db_for_write(Broken) is None


# --- §2.10 TriggerLogArchive._to_live_trigger_log ---------------------------------------------


@pytest.mark.django_db
def test_archive__to_live_trigger_log_copies_every_field_but_id():
    """An unsaved live row with the archived values except ``id``; keywords override."""
    from heroku_connect.models import TriggerLog, TriggerLogArchive
    from tests.heroku_connect.trigger_log.factories import make_log

    archived = make_log(model=TriggerLogArchive, sf_id="001000000000001AAA", old='"a"=>"b"')
    live = archived._to_live_trigger_log(state="NEW")
    assert type(live) is TriggerLog
    assert live.pk is None
    assert live._state.adding is True
    assert not TriggerLog.objects.exists()  # not saved
    for field in TriggerLog._meta.concrete_fields:
        if field.name not in {"id", "state"}:
            assert getattr(live, field.attname) == getattr(archived, field.attname), field.name
    assert (live.state, archived.state) == ("NEW", "FAILED")
    live.save(force_insert=True)
    assert TriggerLog.objects.get(pk=live.pk).values == archived.values


# --- §2.12 the commands run Django's system checks --------------------------------------------


def _failing_check(app_configs, **kwargs):
    from django.core import checks

    return [checks.Error("broken", id="heroku_connect.E001")]


@pytest.mark.parametrize(
    "command",
    ["makemappings", "import_mappings", "load_remote_schema", "create_development_schema"],
)
def test_commands__abort_on_check_errors_unless_skip_checks(command):
    """Default ``requires_system_checks``: a check error aborts before the command does anything."""
    from django.core.management.base import SystemCheckError
    from django.test.utils import override_system_checks

    with override_system_checks([_failing_check]), pytest.raises(SystemCheckError, match="E001"):
        call_command(command, skip_checks=False, stdout=io.StringIO(), stderr=io.StringIO())


def test_makemappings__runs_with_skip_checks_despite_check_errors():
    from django.test.utils import override_system_checks

    out = io.StringIO()
    with override_system_checks([_failing_check]):
        call_command("makemappings", skip_checks=True, stdout=out)
    assert out.getvalue().startswith('{"version": 1, "connection": {')
