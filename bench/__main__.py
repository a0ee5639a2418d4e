"""Run every benchmark and print one table: ``python -m bench [--rows N] [--repeat N] [names]``.

Needs ``DATABASE_URL`` (a PostgreSQL server where a scratch database may be created and dropped).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from bench.harness import Options, django_environment, print_table

#: Benchmark modules, each with ``run(options) -> list[Result]``. Add new ones here.
BENCHMARKS = (
    "bench.admin_retry",
    "bench.group_actions",
    "bench.import_end_to_end",
    "bench.dashboard_reads",
    "bench.sim_engine",
    "bench.health_load",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=5000, help="rows per benchmark (5000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs, median kept (5)")
    parser.add_argument("names", nargs="*", help="only these modules (e.g. admin_retry)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        print("error: DATABASE_URL is not set", file=sys.stderr)
        return 2
    modules = [m for m in BENCHMARKS if not args.names or m.rsplit(".", 1)[-1] in args.names]
    if not modules:
        print(f"error: no benchmark named {', '.join(args.names)}", file=sys.stderr)
        return 2
    options = Options(rows=args.rows, repeat=args.repeat)
    results = []
    with django_environment(database_url):
        for name in modules:
            results += importlib.import_module(name).run(options)
    print_table(results)
    return 1 if any(r.verdict == "SLOW" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
