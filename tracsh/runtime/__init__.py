"""The headless runtime: the asyncio loop behind ``tracsh daemon`` and ``ingest``.

The console reuses it as a library: build a :class:`Runtime`, ``await
start()``, subscribe to ``runtime.processor`` for each batch, and ``await
run(stop)``. docs/daemon.md describes the pieces.
"""

from tracsh.runtime.processor import BatchReport, EventProcessor, Subscription
from tracsh.runtime.rulesource import Revision, RuleSource
from tracsh.runtime.runtime import BackgroundTask, Runtime, RuntimeSettings

__all__ = [
    "BackgroundTask",
    "BatchReport",
    "EventProcessor",
    "Revision",
    "RuleSource",
    "Runtime",
    "RuntimeSettings",
    "Subscription",
]
