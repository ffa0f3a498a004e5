"""A clock to move by hand, and projects with outbox rows, for the delivery tests."""

from __future__ import annotations

import asyncio
import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracsh.config import Config, build_config
from tracsh.delivery.worker import DeliveryCounts, OutboxWorker
from tracsh.store import Store

T0 = datetime(2024, 11, 4, 12, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Clock:
    """The worker's clock in tests: stands still until moved."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def to(self, text: str) -> None:
        """Move to a stored ISO time (a row's next_attempt)."""
        self.now = datetime.fromisoformat(text)


class Project:
    """A project under tmp_path: configuration, templates directory and store."""

    def __init__(self, root: Path, settings: dict) -> None:
        self.root = root
        self.db = root / "tracsh.db"
        (root / "templates").mkdir(exist_ok=True)
        self.config: Config = build_config(settings, None, root)
        self.store = Store.open(self.db)
        self.clock = Clock()

    def template(self, name: str, text: str) -> None:
        (self.root / "templates" / name).write_text(text, encoding="utf-8")

    def queue(self, kind: str = "webhook", target: str = "crm", **columns) -> int:
        """Add an outbox row due at the clock's time; its id."""
        key = (
            columns.pop("key", None)
            or hashlib.sha256(f"{kind}{target}{random.random()}".encode()).hexdigest()
        )
        row = {
            "key": key,
            "kind": kind,
            "target": target,
            "args": {"kind": "test"},
            "event_id": "e1",
            "rule_id": "r1",
            "profile_id": "p1",
            "next_attempt": self.clock().isoformat(),
            **columns,
        }
        with self.store.transaction():
            return self.store.add_outbox(row)

    def row(self, row_id: int) -> dict:
        return self.store.get_outbox(row_id)

    def worker(self, **options) -> OutboxWorker:
        options.setdefault("clock", self.clock)
        options.setdefault("rng", random.Random(7))
        return OutboxWorker(self.db, self.config, **options)

    def drain(self, **options) -> DeliveryCounts:
        return asyncio.run(self.worker(**options).drain())


def webhook_settings(url: str, **extra) -> dict:
    """Settings with one webhook "crm" at ``url`` that may reach loopback."""
    hook = {"url": url, "allow_private": True, "secret_env": "CRM_SECRET"}
    hook.update(extra)
    return {"webhooks": {"crm": hook}}
