"""Command line of the simulator.

``python -m heroku_connect.simulator serve --database-url URL --port N --token T --app NAME``
runs the API (and, with ``--loops``, the sync engine) until SIGINT or SIGTERM.

``python -m heroku_connect.simulator control --url http://127.0.0.1:N SUBCOMMAND`` changes a
running simulator: ``status``, ``connection-state STATE``, ``mapping-state OBJECT STATE``,
``fault [--latency S] [--status N [--retry-after S]] [--timeout] [--drop] [--unauthorized]
[--invalid-json] [--times N] [--clear]``,
``write-algorithm ordered|merged``, ``notify MESSAGE``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROG = "python -m heroku_connect.simulator"


def _non_negative(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must not be negative")
    return number


def _rate(value: str) -> float:
    number = _non_negative(value)
    if number > 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be between 0 and 1")
    return number


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="A local Heroku Connect.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API and (with --loops) the sync engine")
    serve.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL URL (default: $DATABASE_URL)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8100, help="0 picks a free port")
    serve.add_argument("--token", default=None, help="bearer token (default: $HEROKU_AUTH_TOKEN)")
    serve.add_argument("--app", default="hcop-demo", help="the Heroku app name")
    serve.add_argument("--schema", default="salesforce")
    serve.add_argument("--seed", type=int, default=0, help="seed of the org's records")
    serve.add_argument("--records", type=int, default=50, help="records per object")
    serve.add_argument("--loops", action="store_true", help="run the write/read/archive loops")
    algorithm = serve.add_mutually_exclusive_group()
    algorithm.add_argument("--ordered", dest="ordered", action="store_true", default=True)
    algorithm.add_argument("--merged", dest="ordered", action="store_false")
    serve.add_argument("--write-interval", type=_non_negative, default=2.0, metavar="S")
    serve.add_argument("--read-interval", type=_non_negative, default=10.0, metavar="S")
    serve.add_argument("--import-seconds", type=_non_negative, default=3.0, metavar="S")
    serve.add_argument("--validation-seconds", type=_non_negative, default=1.0, metavar="S")
    serve.add_argument("--archive-after", type=_non_negative, default=300.0, metavar="S")
    serve.add_argument(
        "--failed-archive-after", type=_non_negative, default=24 * 3600.0, metavar="S"
    )
    serve.add_argument("--transient-rate", type=_rate, default=0.05, metavar="F")
    serve.add_argument(
        "--activity-interval",
        type=_non_negative,
        default=5.0,
        metavar="S",
        help="seconds between the demo application's writes (0: none)",
    )
    serve.add_argument(
        "--failure-rate",
        type=_rate,
        default=0.1,
        metavar="F",
        help="share of the demo application's writes that Salesforce rejects",
    )
    serve.add_argument("--seed-mapping", type=Path, metavar="FILE", help="import this at start")
    serve.add_argument(
        "--history-days",
        type=int,
        default=0,
        metavar="N",
        help="after the seed mapping's import, archive N days of past writes (once; demo)",
    )
    serve.add_argument("--verbose", "-v", action="store_true", help="log every request")

    control = commands.add_parser("control", help="change a running simulator")
    control.add_argument("--url", required=True, help="the simulator's base URL")
    actions = control.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="print the simulator's status")
    connection_state = actions.add_parser("connection-state", help="set the connection state")
    connection_state.add_argument("state")
    mapping_state = actions.add_parser("mapping-state", help="set a mapping's state")
    mapping_state.add_argument("object_name")
    mapping_state.add_argument("state")
    fault = actions.add_parser("fault", help="inject API faults")
    fault.add_argument("--latency", type=_non_negative, metavar="S")
    fault.add_argument("--status", type=int, metavar="N", help="answer every call with N")
    fault.add_argument("--timeout", action="store_true", help="never answer in time")
    fault.add_argument("--timeout-seconds", type=_non_negative, metavar="S")
    fault.add_argument("--unauthorized", action="store_true", help="answer 401")
    fault.add_argument("--invalid-json", action="store_true", help="answer 200 with HTML")
    fault.add_argument("--retry-after", metavar="S", help="Retry-After header with --status")
    fault.add_argument("--drop", action="store_true", help="close connections unanswered")
    fault.add_argument("--times", type=int, metavar="N", help="only the next N API requests")
    fault.add_argument("--clear", action="store_true", help="remove every fault")
    write_algorithm = actions.add_parser("write-algorithm", help="ordered or merged writes")
    write_algorithm.add_argument("algorithm", choices=("ordered", "merged"))
    notify = actions.add_parser("notify", help="add a notification")
    notify.add_argument("message")
    notify.add_argument("--event-type", default="mapping-error")
    return parser


def _backfill_history(simulator: Any, args: argparse.Namespace) -> None:
    """Once the seed mapping is deployed, archive ``--history-days`` of past writes."""
    from heroku_connect.simulator.history import backfill_history

    log = logging.getLogger(PROG)
    try:
        simulator.wait_idle(timeout=300)
        tables = [mapping.table_name for mapping in simulator.state.read_write_mappings()]
        written = backfill_history(
            simulator.database_url,
            schema=args.schema,
            tables=tables,
            days=args.history_days,
            seed=args.seed,
        )
    except Exception as exc:  # a demo nicety: never take the simulator down
        log.warning("history backfill failed: %s", type(exc).__name__)
        return
    log.info("history: %d archived writes over %d days", written, args.history_days)


def serve(args: argparse.Namespace) -> int:
    from heroku_connect.simulator.core import Simulator, SimulatorError
    from heroku_connect.simulator.importer import ImportError_

    if not args.database_url:
        print(f"{PROG}: error: give --database-url or set DATABASE_URL", file=sys.stderr)
        return 2
    token = args.token or os.environ.get("HEROKU_AUTH_TOKEN") or ""
    if not token:
        print(f"{PROG}: error: give --token or set HEROKU_AUTH_TOKEN", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="simulator: %(levelname)s %(message)s",
    )
    initial_mapping = None
    if args.seed_mapping is not None:
        try:
            initial_mapping = json.loads(args.seed_mapping.read_text())
        except (OSError, ValueError) as exc:
            print(f"{PROG}: error: cannot read {args.seed_mapping}: {exc}", file=sys.stderr)
            return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        simulator = Simulator(
            args.database_url,
            token=token,
            app_name=args.app,
            schema=args.schema,
            seed=args.seed,
            ordered_writes=args.ordered,
            host=args.host,
            import_seconds=args.import_seconds,
            validation_seconds=args.validation_seconds,
            write_interval=args.write_interval,
            read_interval=args.read_interval,
            archive_after=args.archive_after,
            failed_archive_after=args.failed_archive_after,
            transient_rate=args.transient_rate,
            activity_interval=args.activity_interval or None,
            failure_rate=args.failure_rate,
            records_per_object=args.records,
            loops=args.loops,
            initial_mapping=initial_mapping,
        )
        simulator.start(port=args.port)
    except (SimulatorError, ImportError_) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    if args.history_days > 0 and initial_mapping is not None:
        threading.Thread(
            target=_backfill_history, args=(simulator, args), name="history", daemon=True
        ).start()
    try:
        print(
            f"Heroku Connect simulator: API {simulator.api_url} (app {simulator.app_name}, "
            f"connection {simulator.connection_id}); control "
            f"{simulator.base_url}/__simulator__/status",
            flush=True,
        )
        stop.wait()
        print("Heroku Connect simulator: stopping", flush=True)
    finally:
        simulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def control(args: argparse.Namespace) -> int:
    from heroku_connect.simulator.control import ControlClient, ControlError

    client = ControlClient(args.url)
    try:
        if args.action == "status":
            result = client.status()
        elif args.action == "connection-state":
            result = client.set_connection_state(args.state.upper())
        elif args.action == "mapping-state":
            result = client.set_mapping_state(args.object_name, args.state.upper())
        elif args.action == "write-algorithm":
            result = client.set_write_algorithm(args.algorithm)
        elif args.action == "notify":
            result = client.notify(args.message, args.event_type)
        elif args.clear:
            result = client.clear_faults()
        else:
            faults: dict[str, Any] = {}
            if args.latency is not None:
                faults["latency"] = args.latency
            if args.status is not None:
                faults["status"] = args.status
            if args.timeout:
                faults["timeout"] = True
            if args.timeout_seconds is not None:
                faults["timeout_seconds"] = args.timeout_seconds
            if args.unauthorized:
                faults["unauthorized"] = True
            if args.invalid_json:
                faults["invalid_json"] = True
            if args.drop:
                faults["drop"] = True
            if args.retry_after is not None:
                faults["retry_after"] = args.retry_after
            if args.times is not None:
                faults["times"] = args.times
            if not faults:
                print(f"{PROG} control fault: error: name a fault or --clear", file=sys.stderr)
                return 2
            result = client.set_faults(**faults)
    except ControlError as exc:
        print(f"{PROG} control: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return control(args)


if __name__ == "__main__":
    sys.exit(main())
