"""Launcher for `make demo` / `make test` (placeholder: the embedded services arrive next)."""

import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "exec" and argv[1] == "--":
        if not os.environ.get("DATABASE_URL"):
            print("error: DATABASE_URL is not set", file=sys.stderr)
            return 2
        return subprocess.call(argv[2:])
    print("usage: python -m app.devservices exec -- CMD...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
