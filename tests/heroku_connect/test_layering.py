"""Which library modules may import which: the leaf enums, models vs trigger_log, the facade."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import heroku_connect

LIBRARY = Path(heroku_connect.__file__).parent


def _runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports when it runs (``from a import b`` counts as ``a`` and ``a.b``);
    imports under ``if TYPE_CHECKING:`` are left out: they exist for annotations only."""
    tree = ast.parse(path.read_text(), filename=str(path))
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_trigger_log_states__is_a_leaf():
    """The enums module imports nothing from the library, so anything can import it."""
    imports = _runtime_imports(LIBRARY / "trigger_log_states.py")
    assert not {name for name in imports if name.startswith("heroku_connect")}


def test_trigger_log_states__importable_before_django_is_configured():
    """It can be imported without settings (e.g. from a settings module or a script)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", "from heroku_connect.trigger_log_states import TriggerLogState"],
        cwd=LIBRARY.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_models_and_trigger_log__do_not_import_each_other():
    """models.py uses the services of trigger_log.py, which never imports the models."""
    assert "heroku_connect.trigger_log" in _runtime_imports(LIBRARY / "models.py")
    assert not {
        name
        for name in _runtime_imports(LIBRARY / "trigger_log.py")
        if name == "heroku_connect.models" or name.startswith("heroku_connect.models.")
    }


def test_models__re_export_the_enums():
    """The public names stay importable from heroku_connect.models (the public package's home)."""
    from heroku_connect import models, trigger_log_states

    for name in trigger_log_states.__all__:
        if name != "RECAPTURABLE_ACTIONS":
            assert getattr(models, name) is getattr(trigger_log_states, name), name


def test_library__uses_the_compatibility_facade_nowhere():
    """heroku_connect.utils only re-exports for projects; library code imports the real homes."""
    offenders = [
        f"{path.relative_to(LIBRARY)}: {name}"
        for path in LIBRARY.rglob("*.py")
        if path != LIBRARY / "utils.py"
        for name in _runtime_imports(path)
        if name == "heroku_connect.utils"
    ]
    assert offenders == []
