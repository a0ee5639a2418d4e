"""A local Heroku Connect: the API v3 over real HTTP, a simulated Salesforce org and the sync
engine, running on a real PostgreSQL database (see ``README.md`` in this package).

``Simulator`` starts everything in-process (tests); ``python -m heroku_connect.simulator serve``
runs it standalone (the demo).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heroku_connect.simulator.core import Simulator

__all__ = ("Simulator",)


def __getattr__(name: str) -> Any:
    # Lazy, so that ``python -m heroku_connect.simulator`` and the state module import cheaply.
    if name == "Simulator":
        from heroku_connect.simulator.core import Simulator

        return Simulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
