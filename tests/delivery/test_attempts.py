"""The retry schedule, what each result makes of a row, and Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tracsh.delivery.attempts import (
    BROKEN,
    GONE,
    PERMANENT,
    SENT,
    TRANSIENT,
    Result,
    Schedule,
    next_state,
    retry_after,
)

NOW = datetime(2024, 11, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [
        (1, 15, 30),
        (2, 30, 60),
        (3, 60, 120),
        (7, 960, 1920),
        (8, 1800, 3600),
        (20, 1800, 3600),
    ],
)
def test_waits_double_with_equal_jitter_up_to_the_cap(attempt, low, high):
    schedule = Schedule(attempts=30, backoff=30, max_backoff=3600, rng=random.Random(1))
    waits = [schedule.wait(attempt) for _ in range(200)]
    assert low <= min(waits) and max(waits) <= high
    assert max(waits) - min(waits) > (high - low) / 2, "the second half is random"


@pytest.mark.parametrize(
    ("result", "attempt", "status", "counted"),
    [
        (Result(SENT, "200"), 1, "sent", 1),
        (Result(TRANSIENT, "500", "HTTP 500"), 1, "retry", 1),
        (Result(TRANSIENT, "500", "HTTP 500"), 3, "dead", 3),
        (Result(PERMANENT, "550", "SMTP 550"), 1, "dead", 1),
        (Result(BROKEN, "config", "no secret"), 1, "failed", 1),
        (Result(GONE, "410", "gone"), 1, "retry", 0),
        (Result(GONE, "410", "gone"), 2, "retry", 1),
        (Result(GONE, "410", "gone"), 3, "retry", 2),
    ],
)
def test_what_a_result_makes_of_the_row(result, attempt, status, counted):
    changes = next_state(result, attempt, Schedule(attempts=3), NOW)
    assert changes["status"] == status
    assert changes["attempts"] == counted, "counted when it ends, never past 3"
    assert changes["last_status"] == result.status
    assert changes.get("reason") == result.error


def test_retry_after_replaces_the_backoff_and_is_capped():
    schedule = Schedule(attempts=5, backoff=30, max_backoff=600)
    asked = next_state(Result(TRANSIENT, "429", retry_after=90), 1, schedule, NOW)
    capped = next_state(Result(TRANSIENT, "429", retry_after=9000), 1, schedule, NOW)
    assert asked["next_attempt"] == (NOW + timedelta(seconds=90)).isoformat()
    assert capped["next_attempt"] == (NOW + timedelta(seconds=600)).isoformat()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Mon, 04 Nov 2024 12:01:30 GMT", 90.0),
        ("Mon, 04 Nov 2024 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_header(header, seconds):
    assert retry_after(header, NOW) == seconds
