"""Packaging: the wheel built from the repository root holds the whole library and nothing else,
and the library never imports the product (``app``)."""

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "heroku_connect"
# A developer's checkout: byte-code caches are copied too and must stay out of the wheel.
SKIP_DIRS = {".venv", ".git", "node_modules", "staticfiles", ".data", "build"}


def _library_files():
    return sorted(
        path.relative_to(REPO).as_posix()
        for path in LIBRARY.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build the wheel with pip from a copy of the repository (like ``pip install .``)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(REPO, source, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*SKIP_DIRS))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(dist)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = dist.glob("*.whl")
    return built


@pytest.mark.slow
def test_wheel__contains_every_library_file_and_nothing_else(wheel):
    """Every file under heroku_connect/ (migrations, commands, templates, static, data) and no
    app/ or tests/ file is in the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    packaged = {n for n in names if ".dist-info/" not in n}
    assert set(_library_files()) == packaged
    assert "heroku_connect/migrations/__init__.py" in packaged
    assert "heroku_connect/management/commands/makemappings.py" in packaged
    assert "heroku_connect/management/commands/create_development_schema.py" in packaged
    assert not any(n.startswith(("app/", "tests/", "templates/", "static/")) for n in names)


@pytest.mark.slow
def test_wheel__declares_runtime_dependencies(wheel):
    """The metadata requires Django, django-appconf and requests."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    requires = [line.split(":", 1)[1].strip().lower() for line in metadata.splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line]  # fmt: skip
    for name in ("django", "django-appconf", "requests"):
        assert any(r.startswith(name) for r in requires), requires


_USE_INSTALLED = """
import io, json, sys
sys.modules["psycopg2"] = None  # the library must work with psycopg 3 alone
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=["django.contrib.contenttypes", "heroku_connect"])
django.setup()
import heroku_connect
from django.core.management import call_command
from heroku_connect import checks, utils
from heroku_connect.db import models, router, exceptions
from heroku_connect.db.backends.postgresql import base
out = io.StringIO()
call_command("makemappings", stdout=out)
mappings = json.loads(out.getvalue())["mappings"]
print(json.dumps({"file": heroku_connect.__file__, "mappings": mappings}))
"""


@pytest.mark.slow
def test_wheel__installed_library_works_without_the_project(wheel, tmp_path):
    """Installed alone (outside the repository, without psycopg2), the library imports and
    makemappings runs."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _USE_INSTALLED],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=str(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith('"mappings": []}')
    assert str(target) in result.stdout


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_library__never_imports_the_project():
    """No module under heroku_connect/ imports from app/."""
    offenders = [
        f"{path.relative_to(REPO)}: {module}"
        for path in LIBRARY.rglob("*.py")
        for module in _imported_modules(path)
        if module == "app" or module.startswith("app.")
    ]
    assert offenders == []
