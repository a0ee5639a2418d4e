"""Procfile, app.json and the Python version files are valid and consistent."""

import importlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]


def _procfile() -> dict[str, list[str]]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = shlex.split(command)
    return entries


def _version_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_python_version__files_agree():
    """runtime.txt wins over .python-version on Heroku, so the two must name the same version."""
    (runtime,) = _version_lines(ROOT / "runtime.txt")
    (python_version,) = _version_lines(ROOT / ".python-version")
    assert runtime.removeprefix("python-") == python_version == "3.11"


def test_procfile__has_the_four_process_types():
    """release, web, worker and beat exist; beat is a process type of its own."""
    assert set(_procfile()) == {"release", "web", "worker", "beat"}


def test_procfile__release_runs_an_existing_management_command():
    """``release`` is ``manage.py migrate`` and that command exists."""
    command = _procfile()["release"]
    assert command[:3] == ["python", "manage.py", "migrate"]
    assert "migrate" in get_commands()


def test_procfile__web_points_at_importable_config_and_wsgi_app():
    """gunicorn's config file exists and the WSGI module named on the command line imports."""
    command = _procfile()["web"]
    assert command[0] == "gunicorn"
    config = command[command.index("--config") + 1]
    assert (ROOT / config).is_file()
    namespace: dict = {}
    exec(compile((ROOT / config).read_text(), config, "exec"), namespace)
    assert namespace["worker_class"] == "gthread"
    assert "workers" not in namespace  # WEB_CONCURRENCY decides (next test)
    assert namespace["timeout"] < 30
    module = importlib.import_module(command[-1].split(":")[0])
    assert callable(module.application)


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_procfile__celery_processes_name_the_project_app(process):
    """``celery -A app`` resolves to the project's Celery application."""
    command = _procfile()[process]
    assert command[:3] == ["celery", "-A", "app"]
    assert command[3] == process
    project = importlib.import_module(command[2])
    assert project.celery_app.main == "app"
    if process == "worker":
        assert "--concurrency" in command


def test_app_json__has_the_button_manifest_structure():
    """app.json describes the whole Deploy-to-Heroku setup."""
    manifest = json.loads((ROOT / "app.json").read_text())
    assert len(manifest["name"]) <= 30
    for key in ("description", "repository", "keywords", "logo", "success_url"):
        assert manifest[key]
    assert manifest["stack"] == "heroku-24"
    assert manifest["buildpacks"] == [{"url": "heroku/python"}]
    assert manifest["addons"][0].startswith("heroku-postgresql:")
    assert any(a.startswith("heroku-redis:") for a in manifest["addons"])
    assert any(a.startswith("herokuconnect:") for a in manifest["addons"])
    env = manifest["env"]
    assert env["SECRET_KEY"]["generator"] == "secret"
    assert env["DJANGO_SETTINGS_MODULE"]["value"] == "app.settings.production"
    assert env["ADMIN_EMAIL"].get("required", True) is True
    assert env["HEROKU_CONNECT_API_TOKEN"]["required"] is False
    for name, spec in env.items():
        assert spec["description"], name
        assert spec.get("generator") in (None, "secret"), name
    assert set(manifest["formation"]) == {"web", "worker", "beat"}
    assert manifest["formation"]["beat"]["quantity"] == 1
    assert set(_procfile()) >= set(manifest["formation"])


def test_app_json__postdeploy_and_ci_commands_exist():
    """postdeploy runs an existing management command; Heroku CI runs the README's command."""
    manifest = json.loads((ROOT / "app.json").read_text())
    postdeploy = shlex.split(manifest["scripts"]["postdeploy"])
    assert postdeploy[:2] == ["python", "manage.py"]
    assert postdeploy[2] in get_commands()
    test_env = manifest["environments"]["test"]
    assert shlex.split(test_env["scripts"]["test"])[0] == "pytest"
    assert {a.split(":")[1] for a in test_env["addons"]} == {"in-dyno"}
    # The browser tests need a Chrome there (no Debian Chromium on Heroku CI dynos).
    assert test_env["buildpacks"][-1] == {"url": "heroku/python"}
    assert {"url": "heroku-community/chrome-for-testing"} in test_env["buildpacks"]


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """``{normalised name: (version, number of hashes)}`` of a compiled requirements file."""
    from packaging.utils import canonicalize_name

    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in path.read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("--hash=sha256:"):
            assert name is not None, line
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
            continue
        requirement = text.split(";")[0].rstrip(" \\")
        assert "==" in requirement, f"{path.name}: not pinned: {line}"
        raw_name, version = requirement.split("==")
        name = canonicalize_name(raw_name.split("[")[0])
        pins[name] = (version.strip(), 0)
    return pins


def _inputs(path: Path) -> list[str]:
    """The requirement lines of an input file, following ``-r`` includes."""
    lines = []
    for line in path.read_text().splitlines():
        text = line.split("#")[0].strip()
        if text.startswith("-r "):
            lines += _inputs(path.parent / text[3:].strip())
        elif text:
            lines.append(text)
    return lines


def test_requirements__one_package_manager_file_with_pinned_versions():
    """requirements.txt is the only lock-style file Heroku sees, and every line is pinned."""
    for other in ("Pipfile.lock", "poetry.lock", "uv.lock"):
        assert not (ROOT / other).exists()
    assert _locked(ROOT / "requirements.txt")


@pytest.mark.parametrize("stem", ["requirements", "requirements-test", "requirements-dev"])
def test_requirements__locks_are_hashed_and_satisfy_their_inputs(stem):
    """Every pin has hashes (pip then checks all of them), and every package of the .in file
    (with its includes) is pinned to a version its range allows: a .in edited without
    `make lock` fails here."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = _locked(ROOT / f"{stem}.txt")
    unhashed = [name for name, (_version, hashes) in pins.items() if not hashes]
    assert not unhashed, f"{stem}.txt: pins without --hash: {unhashed}"
    for line in _inputs(ROOT / f"{stem}.in"):
        wanted = Requirement(line)
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{stem}.txt lacks {wanted.name}: run `make lock`"
        assert wanted.specifier.contains(pins[name][0], prereleases=True), (
            f"{stem}.txt pins {name}=={pins[name][0]}, outside {wanted}: run `make lock`"
        )


def test_requirements__the_three_locks_agree():
    """The test and dev locks pin every runtime package at the runtime lock's version."""
    runtime = _locked(ROOT / "requirements.txt")
    test = _locked(ROOT / "requirements-test.txt")
    dev = _locked(ROOT / "requirements-dev.txt")
    for name, (version, _hashes) in runtime.items():
        assert test[name][0] == dev[name][0] == version, name
    for name, (version, _hashes) in test.items():
        assert dev[name][0] == version, name


def test_app_json__logo_is_a_square_png_shipped_in_the_repository():
    """The button's logo URL points at a file of this repository that is a square PNG."""
    import struct

    logo_url = json.loads((ROOT / "app.json").read_text())["logo"]
    path = ROOT / logo_url.split("/main/", 1)[1]
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == height >= 64


_GUNICORN_WORKERS = """
from gunicorn.app.base import Application
class Probe(Application):
    def init(self, *args):
        return {}
    def load(self):
        return None
probe = Probe(usage="", prog="probe")
probe.load_config_from_file("gunicorn.conf.py")
print(probe.cfg.workers)
"""


@pytest.mark.parametrize(("web_concurrency", "workers"), [("5", "5"), (None, "1")])
def test_gunicorn__workers_come_from_web_concurrency(web_concurrency, workers):
    """Heroku's buildpack sets WEB_CONCURRENCY per dyno size (unless the operator did): gunicorn
    uses it; without it (make demo) one worker with its threads."""
    environ = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    if web_concurrency:
        environ["WEB_CONCURRENCY"] = web_concurrency
    result = subprocess.run(
        [sys.executable, "-c", _GUNICORN_WORKERS],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == workers


def test_app_json__leaves_web_concurrency_to_heroku():
    """A value in app.json would pin every dyno size to it (the buildpack sets it only if unset)."""
    manifest = json.loads((ROOT / "app.json").read_text())
    assert "WEB_CONCURRENCY" not in manifest["env"]
    for environment in manifest.get("environments", {}).values():
        assert "WEB_CONCURRENCY" not in environment.get("env", {})


def test_app_json__heroku_ci_runs_the_suite_in_the_buildpacks_environment():
    """Heroku CI installs requirements(-test).txt into the buildpack's Python: its scripts call
    pytest there, never `make test` (which would build a second virtualenv, .venv)."""
    scripts = json.loads((ROOT / "app.json").read_text())["environments"]["test"]["scripts"]
    assert shlex.split(scripts["test"]) == ["pytest", "-q"]
    for script in scripts.values():
        words = shlex.split(script)
        assert "make" not in words
        assert not any("venv" in word for word in words)
    assert "$(VENV)" in (ROOT / "Makefile").read_text()  # the reason: make test builds .venv
    assert "pytest" in (ROOT / "requirements-test.txt").read_text()


def test_app_json__app_name_says_how_heroku_tells_it():
    """HEROKU_CONNECT_APP_NAME: asked for by the button form (optional), explaining that
    Heroku sets HEROKU_APP_NAME only with the runtime-dyno-metadata lab."""
    spec = json.loads((ROOT / "app.json").read_text())["env"]["HEROKU_CONNECT_APP_NAME"]
    assert spec["required"] is False
    assert "value" not in spec
    assert "runtime-dyno-metadata" in spec["description"]
    assert "this app's name" in spec["description"]


def test_ci_run__installs_debians_chromium_and_postgis_and_sets_ci():
    """CI proves what local runs may skip: it installs the browser and PostGIS, and sets CI so
    a missing one fails instead of skipping (tests/needs.py)."""
    script = (ROOT / ".ci" / "run").read_text()
    install = next(line for line in script.splitlines() if "apt-get install" in line)
    assert {"chromium", "postgresql-15-postgis-3", "libgdal32"} <= set(install.split())
    assert 'export CI="${CI:-true}"' in script
    assert script.rstrip().endswith("make test")
