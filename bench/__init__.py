"""Speed targets of the project, measured against a scratch database (``python -m bench``).

Each benchmark is a module listed in :data:`bench.__main__.BENCHMARKS` with a function
``run(options) -> list[bench.harness.Result]``; the runner prints one table for all of them.
"""
