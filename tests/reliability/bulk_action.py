"""One dashboard bulk action in a process of its own (what a web request runs):

    python -m tests.reliability.bulk_action ignore|retry

on the failures of the ``account`` table in the live trigger log; prints the result, or exits 1
with the error on one line.
"""

from __future__ import annotations

import sys

import django


def main(action: str) -> int:
    django.setup()
    from app.dashboard import actions, filters
    from heroku_connect.states import WriteAlgorithm

    selection = filters.selection_from_params({"table": "account", "source": "live"})
    algorithm = WriteAlgorithm.MERGE_WRITES if action == actions.RETRY else None
    try:
        result = actions.perform_action(action, selection, user=None, algorithm=algorithm)
    except Exception as error:
        print(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        return 1
    print(result.message())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
