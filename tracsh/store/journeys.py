"""Journey figures for ``tracsh journeys``: where profiles stand, what steps did.

Mixed into :class:`tracsh.store.Store`. A profile's place in each journey is
in its document (``profile.journeys``); what each step did is in the stored
``journey-step`` events (``properties.result``: ran, skipped or stale).
"""

from __future__ import annotations

import sqlite3
from collections import Counter


class JourneysMixin:
    """Counts over journey states and journey-step events."""

    # Provided by Store, along with its _run.
    conn: sqlite3.Connection

    def journey_states(self) -> Counter:
        """Profiles by (journey, status, waiting step or None)."""
        rows = self._run(
            "SELECT j.key, json_extract(j.value, '$.status'), "
            "json_extract(j.value, '$.step'), count(*) "
            "FROM profiles AS p, json_each(p.doc, '$.journeys') AS j "
            "GROUP BY 1, 2, 3"
        )
        return Counter({(name, status, step): n for name, status, step, n in rows})

    def journey_step_results(self) -> Counter:
        """Journey-step events by (journey, step, result)."""
        rows = self._run(
            "SELECT json_extract(doc, '$.properties.journey'), "
            "json_extract(doc, '$.properties.step'), "
            "json_extract(doc, '$.properties.result'), count(*) "
            "FROM events WHERE type = 'journey-step' GROUP BY 1, 2, 3"
        )
        return Counter({(name, step, result): n for name, step, result, n in rows})
