"""The runtime's figures and their Prometheus text form, served by ``GET /metrics``.

Counters, gauges and histograms live in one :class:`Metrics` registry that the
event processor and the collector update in place (cheap: a dict lookup and an
addition); :meth:`Metrics.render` writes the text exposition format, version
0.0.4. Figures read from the store at scrape time (rule statistics, outbox
states) are passed to ``render`` by the caller.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The media type of the Prometheus text format."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
"""Upper bounds, in seconds, of the processing latency histogram."""

BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Upper bounds of the events-per-transaction histogram."""

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Mapping[str, str] | None) -> Labels:
    return tuple(sorted((labels or {}).items()))


def _label_text(labels: Labels, extra: tuple[str, str] | None = None) -> str:
    pairs = list(labels) + ([extra] if extra else [])
    if not pairs:
        return ""
    inner = ",".join(f'{name}="{_escape(value)}"' for name, value in pairs)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


@dataclass
class Histogram:
    """A distribution over fixed buckets: counts per bucket, sum and count."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        """Count one observation."""
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str, labels: Labels) -> Iterable[str]:
        """The ``_bucket``, ``_sum`` and ``_count`` lines of the text format."""
        running = 0
        for bound, count in zip((*self.bounds, math.inf), self.counts, strict=True):
            running += count
            le = _label_text(labels, ("le", _number(bound)))
            yield f"{name}_bucket{le} {running}"
        yield f"{name}_sum{_label_text(labels)} {_number(self.total)}"
        yield f"{name}_count{_label_text(labels)} {self.count}"


@dataclass(frozen=True)
class Family:
    """One metric name: its type and help line."""

    name: str
    kind: str
    help: str


FAMILIES = (
    Family("tracsh_requests_total", "counter", "HTTP requests by route and status"),
    Family("tracsh_events_received_total", "counter", "Events received, by input"),
    Family("tracsh_events_processed_total", "counter", "Events committed to the store"),
    Family(
        "tracsh_events_duplicate_total",
        "counter",
        "Events whose id was already stored, so not applied again",
    ),
    Family("tracsh_events_rejected_total", "counter", "Events refused, by input"),
    Family("tracsh_internal_events_total", "counter", "Internal events processed"),
    Family(
        "tracsh_batches_total", "counter", "Transactions committed by the processor"
    ),
    Family(
        "tracsh_batch_failures_total",
        "counter",
        "Transactions that failed and were rolled back, by kind",
    ),
    Family(
        "tracsh_events_per_batch",
        "histogram",
        "Events committed per transaction (group commit)",
    ),
    Family(
        "tracsh_processing_seconds",
        "histogram",
        "Time from an event's arrival to its commit",
    ),
    Family("tracsh_queue_events", "gauge", "Events waiting to be processed"),
    Family("tracsh_queue_capacity_events", "gauge", "Events the queue may hold"),
    Family("tracsh_refused_total", "counter", "Requests refused, by reason"),
    Family("tracsh_rule_evaluations_total", "counter", "Rule condition evaluations"),
    Family("tracsh_rule_matches_total", "counter", "Rule conditions that were true"),
    Family("tracsh_rule_errors_total", "counter", "Errors counted on rules"),
    Family("tracsh_outbox_pending", "gauge", "Outbox rows waiting to be sent"),
    Family("tracsh_outbox_dead", "gauge", "Outbox rows whose last attempt failed"),
    Family("tracsh_rule_reloads_total", "counter", "Rule reloads, by result"),
    Family("tracsh_ruleset_info", "gauge", "The rule set in force (labels say which)"),
)
"""Every metric the runtime exposes, in the order /metrics lists them."""


class Metrics:
    """The registry: values by (name, labels), rendered in FAMILIES order."""

    def __init__(self) -> None:
        self._values: dict[str, dict[Labels, float]] = {f.name: {} for f in FAMILIES}
        self._histograms: dict[str, dict[Labels, Histogram]] = {}
        self._bounds = {
            "tracsh_events_per_batch": BATCH_BUCKETS,
            "tracsh_processing_seconds": LATENCY_BUCKETS,
        }

    def add(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add to a counter."""
        series = self._values[name]
        key = _labels(labels)
        series[key] = series.get(key, 0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        """Set a gauge."""
        self._values[name][_labels(labels)] = value

    def replace(self, name: str, value: float, **labels: str) -> None:
        """Make ``value`` the only series of ``name`` (an info gauge)."""
        self._values[name] = {_labels(labels): value}

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Count one observation in a histogram."""
        series = self._histograms.setdefault(name, {})
        key = _labels(labels)
        histogram = series.get(key)
        if histogram is None:
            histogram = series[key] = Histogram(self._bounds[name])
        histogram.observe(value)

    def value(self, name: str, **labels: str) -> float:
        """A counter's or gauge's current value (0 when never set)."""
        return self._values[name].get(_labels(labels), 0)

    def histogram(self, name: str, **labels: str) -> Histogram | None:
        """A histogram's state, or None before its first observation."""
        return self._histograms.get(name, {}).get(_labels(labels))

    def render(self, extra: Mapping[str, float] | None = None) -> str:
        """The text exposition of every metric; ``extra`` sets unlabelled values."""
        for name, value in (extra or {}).items():
            self.set(name, value)
        lines: list[str] = []
        for family in FAMILIES:
            lines.append(f"# HELP {family.name} {family.help}")
            lines.append(f"# TYPE {family.name} {family.kind}")
            if family.kind == "histogram":
                for labels, histogram in self._histograms.get(family.name, {}).items():
                    lines.extend(histogram.lines(family.name, labels))
                continue
            for labels, value in self._values[family.name].items():
                lines.append(f"{family.name}{_label_text(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"


def store_figures(store: Any) -> dict[str, float]:
    """Rule statistics and outbox states from the store, for :meth:`Metrics.render`.

    Run on the writer thread (``EventProcessor.with_store``). Pending counts rows
    still to be attempted (``pending`` and ``retry``); dead counts rows whose
    last attempt failed.
    """
    evaluations, matches, errors = store.conn.execute(
        "SELECT total(evaluations), total(matches), total(errors) FROM rule_stats"
    ).fetchone()
    pending, dead = store.conn.execute(
        "SELECT count(*) FILTER (WHERE status IN ('pending', 'retry')), "
        "count(*) FILTER (WHERE status = 'dead') FROM outbox "
        "WHERE status IN ('pending', 'retry', 'dead')"
    ).fetchone()
    return {
        "tracsh_rule_evaluations_total": evaluations,
        "tracsh_rule_matches_total": matches,
        "tracsh_rule_errors_total": errors,
        "tracsh_outbox_pending": pending,
        "tracsh_outbox_dead": dead,
    }
