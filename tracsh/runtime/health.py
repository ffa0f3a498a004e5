"""What ``GET /healthz`` reports: whether the runtime is ready, and which rules run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tracsh.runtime.rulesource import Revision


@dataclass
class Health:
    """The runtime's state, updated by the runtime and the rule watcher."""

    status: str = "starting"
    """``starting``, ``ready`` or ``stopping``."""
    revision: Revision | None = None
    """The rule set in force."""
    last_reload: str | None = None
    """When a reload last finished (in force or refused), ISO-8601 UTC."""
    last_reload_error: str | None = None
    """Why the last reload was refused; None once one succeeds."""
    started: float = field(default_factory=time.monotonic)

    @property
    def ready(self) -> bool:
        """True while events are accepted."""
        return self.status == "ready"

    def as_dict(self, queued: int, capacity: int) -> dict[str, Any]:
        """The /healthz body."""
        return {
            "status": self.status,
            "revision": self.revision.as_dict() if self.revision else None,
            "last_reload": self.last_reload,
            "last_reload_error": self.last_reload_error,
            "queue": {"events": queued, "capacity": capacity},
            "uptime_seconds": round(time.monotonic() - self.started, 3),
        }
