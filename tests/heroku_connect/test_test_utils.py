"""heroku_connect.test.utils.heroku_cli."""

import os
import subprocess

import pytest

from heroku_connect.test import utils


def test_all():
    """The module exports exactly the two helpers."""
    assert utils.__all__ == ("heroku_cli", "no_heroku_connect_write_restrictions")


def test_heroku_cli__fake_output_and_exit_code():
    """The fake heroku prints the given texts and exits with the given code."""
    with utils.heroku_cli(stdout='it\'s "quoted" $HOME', stderr="oops", exit_code=3):
        result = subprocess.run(["heroku", "pg:credentials:url"], capture_output=True, text=True)
    assert result.stdout == 'it\'s "quoted" $HOME\n'
    assert result.stderr == "oops\n"
    assert result.returncode == 3


def test_heroku_cli__defaults():
    """Defaults: empty output and exit code 0."""
    with utils.heroku_cli():
        result = subprocess.run(["heroku"], capture_output=True, text=True)
    assert (result.stdout, result.returncode) == ("\n", 0)


def test_heroku_cli__restores_path_and_removes_directory_on_error():
    """PATH is restored and the temporary directory deleted even when the block raises."""
    original = os.environ["PATH"]
    seen = {}

    def use_fake_then_fail():
        with utils.heroku_cli(stdout="x"):
            seen["dir"] = os.environ["PATH"].split(os.pathsep)[0]
            seen["script_existed"] = os.path.exists(os.path.join(seen["dir"], "heroku"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        use_fake_then_fail()
    assert seen["script_existed"]
    assert os.environ["PATH"] == original
    assert not os.path.exists(seen["dir"])
