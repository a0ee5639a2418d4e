"""makemappings (with --indent / --sort; never closes its stream)."""

import io
import json

from django.core.management import call_command

from heroku_connect.utils import get_mapping


class _TrackingStream(io.StringIO):
    closed_by_command = False

    def close(self):
        self.closed_by_command = True
        super().close()


def _run(*args):
    stream = _TrackingStream()
    call_command("makemappings", *args, stdout=stream)
    assert not stream.closed_by_command
    assert not stream.closed
    return stream.getvalue()


def _without_export_time(mapping):
    mapping["connection"].pop("exported_at")
    return mapping


def test_makemappings__compact_json_like_before():
    """Without options: json.dump defaults on get_mapping(), no trailing newline."""
    output = _run()
    parsed = json.loads(output)
    assert output == json.dumps(parsed)
    assert _without_export_time(parsed) == _without_export_time(get_mapping())


def test_makemappings__does_not_close_the_given_stream():
    """The caller's stream stays open and usable (the public package closed it)."""
    stream = _TrackingStream()
    call_command("makemappings", stdout=stream)
    stream.write("\nstill open")
    assert stream.getvalue().endswith("still open")
    assert not stream.closed_by_command


def test_makemappings__indent():
    """--indent N pretty-prints."""
    output = _run("--indent", "2")
    assert output.startswith('{\n  "version": 1,')
    assert json.loads(output)["version"] == 1


def test_makemappings__sort_is_stable():
    """--sort orders mappings by object_name and keys alphabetically."""
    output = _run("--sort", "--indent", "1")
    parsed = json.loads(output)
    names = [m["object_name"] for m in parsed["mappings"]]
    assert names == sorted(names)
    assert list(parsed) == ["connection", "mappings", "version"]
    assert list(parsed["mappings"][0]["config"]) == sorted(parsed["mappings"][0]["config"])
    assert output == json.dumps(parsed, indent=1, sort_keys=True)


def test_makemappings__output_file(tmp_path):
    """-o writes the JSON to a file."""
    target = tmp_path / "mapping.json"
    stream = _TrackingStream()
    call_command("makemappings", "-o", str(target), stdout=stream)
    assert stream.getvalue() == ""
    assert [m["object_name"] for m in json.loads(target.read_text())["mappings"]] == [
        m["object_name"] for m in get_mapping()["mappings"]
    ]
