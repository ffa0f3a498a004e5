"""Hot reload: watch rules/ and templates/, and swap in a new rule set that loads.

A background task of the runtime. When files change (saved, deleted, renamed),
the whole rule set is loaded and compiled aside in a thread; if it has no
errors it replaces the one in force between two batches, otherwise the one in
force stays, and the errors are logged and shown by ``/healthz`` until a later
save fixes them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import watchfiles

from tracsh.runtime.health import Health
from tracsh.runtime.metrics import Metrics
from tracsh.runtime.rulesource import LoadedRules, RuleSource, RulesRejected

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300
"""How long file changes are gathered before one reload (editors save in steps)."""

RETRY_SECONDS = 1.0
"""How long to wait before watching again when the watch itself fails."""


class RuleWatcher:
    """Reloads the rules when their files change; ``apply`` swaps a good load in."""

    def __init__(
        self,
        source: RuleSource,
        apply: Callable[[LoadedRules], None],
        health: Health,
        metrics: Metrics,
        *,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        self.source = source
        self.apply = apply
        self.health = health
        self.metrics = metrics
        self.debounce_ms = debounce_ms

    async def run(self, stop: asyncio.Event) -> None:
        """Watch until ``stop`` is set; a failing watch is started again."""
        first = True
        while not stop.is_set():
            paths = self.source.watched()
            if not first:
                # Changes made while nothing was watched would go unseen.
                await self.reload()
            first = False
            if not paths:
                await _sleep_unless(stop, RETRY_SECONDS)
                continue
            try:
                async for changes in watchfiles.awatch(
                    *paths,
                    watch_filter=self._relevant,
                    debounce=self.debounce_ms,
                    stop_event=stop,
                ):
                    await self.reload(sorted(path for _, path in changes))
            except Exception as error:  # the watched folder vanished, inotify limits
                log.warning("watching %s failed: %s", _names(paths), error)
                await _sleep_unless(stop, RETRY_SECONDS)

    def _relevant(self, change: watchfiles.Change, path: str) -> bool:
        """Rule files, and anything under the templates folder (or a folder)."""
        if path.endswith(".rules"):
            return True
        templates = self.source.templates
        if templates is not None and Path(path).is_relative_to(Path(templates)):
            return watchfiles.DefaultFilter()(change, path)
        # A deleted or renamed folder of rule files shows up as the folder only.
        return change == watchfiles.Change.deleted or Path(path).is_dir()

    async def reload(self, changed: list[str] | None = None) -> bool:
        """Load everything again; swap it in when it has no errors. True if swapped."""
        try:
            loaded = await asyncio.to_thread(self.source.load)
        except RulesRejected as error:
            self._refused(str(error), changed)
            return False
        self.health.last_reload = _now()
        current = self.health.revision
        if current is not None and loaded.revision.content == current.content:
            self.health.last_reload_error = None
            log.info("rules unchanged", extra={"revision": current.content})
            return False
        self.apply(loaded)
        self.health.revision = loaded.revision
        self.health.last_reload_error = None
        self.metrics.add("tracsh_rule_reloads_total", result="applied")
        log.info(
            "rules reloaded",
            extra={"revision": loaded.revision.as_dict(), "changed": changed or []},
        )
        for warning in loaded.warnings:
            log.warning("rules: %s", warning)
        return True

    def _refused(self, message: str, changed: list[str] | None) -> None:
        repeated = message == self.health.last_reload_error
        self.health.last_reload = _now()
        self.health.last_reload_error = message
        self.metrics.add("tracsh_rule_reloads_total", result="refused")
        in_force = self.health.revision.content if self.health.revision else None
        # The same errors again (a folder still missing) are not news.
        log.log(
            logging.DEBUG if repeated else logging.ERROR,
            "rules not reloaded; the previous rule set stays in force",
            extra={"errors": message, "changed": changed or [], "revision": in_force},
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _names(paths: list[Path]) -> str:
    return ", ".join(str(path) for path in paths) or "nothing"


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``stop`` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
