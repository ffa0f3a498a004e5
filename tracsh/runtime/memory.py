"""How a long-running runtime process sets up Python's cyclic garbage collector.

Called by ``tracsh daemon``, ``ingest`` and ``replay`` once the engine has
started, and by ``tracsh tui`` once the console shows. It acts only when
tracsh owns the process (the ``tracsh`` command, ``python -m tracsh.cli.main``):
callers of ``tracsh.cli.main.main`` in a process of their own (tests, scripts)
keep the interpreter's defaults.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 5000
"""Container allocations, net of frees, that start a young-generation collection.

The default, 700, is passed within every batch: a batch holds its events,
profiles and sessions until the commit, so collections ran several times per
batch and found almost nothing (the documents are not cyclic).
"""


_owned = False


def claim_process() -> None:
    """Say that tracsh is this process's whole life: the command-line entry."""
    global _owned
    _owned = True


def settle_after_start() -> None:
    """Freeze what start-up made, and collect the young generation less often.

    Imported modules, the compiled rules and the grammar live as long as the
    process; frozen, full collections no longer walk them again and again
    (measured under benchmarks/collector.py: most of the collector's time in
    the garbage collector went there). Garbage left from start-up is collected
    first, so nothing collectable is frozen; the one cost is that the first
    rule set, frozen with the rest, is not reclaimed by the cycle collector
    once a reload has replaced it (docs/daemon.md). Nothing happens unless
    the process is tracsh's own (``claim_process``).
    """
    if not _owned:
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
