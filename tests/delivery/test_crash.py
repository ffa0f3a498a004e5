"""A worker killed after the receiver answered but before the row was marked sent.

The worker runs in a child process. When the request arrives, the receiver
takes the database's write lock before it answers, so the worker, holding the
answer, waits to record it; then the child is killed. The row is left
``sending``, its lost attempt uncounted; once its lease ends another worker
sends it again with the same idempotency key, and a receiver that remembers ids
handles it once.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from delivery_project import SECRET, webhook_settings
from servers import Reply, wait_for

from tracsh.delivery.signing import verify

CHILD = """
import asyncio, sys
from pathlib import Path
from tracsh.config import load_config
from tracsh.delivery.worker import OutboxWorker
config = load_config(Path(sys.argv[1]))
asyncio.run(OutboxWorker(Path(sys.argv[2]), config).drain())
"""


def test_a_killed_worker_repeats_the_delivery_with_the_same_key(
    project_of, receiver, tmp_path
):
    project = project_of(webhook_settings(receiver.url()))
    row_id = project.queue(args={"kind": "sign-up", "profile": "p1"})
    (tmp_path / "tracsh.toml").write_text(
        f'[webhooks.crm]\nurl = "{receiver.url()}"\nallow_private = true\n'
        'secret_env = "CRM_SECRET"\n'
    )
    lock = sqlite3.connect(project.db, isolation_level=None, check_same_thread=False)
    receiver.then(Reply(on_request=lambda _: lock.execute("BEGIN IMMEDIATE")))

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "tracsh.toml"), str(project.db)]
    )
    try:
        assert wait_for(lambda: len(receiver.requests) == 1, 20)
        time.sleep(0.5)  # the worker has the answer and waits for the lock
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
        lock.execute("ROLLBACK")
        lock.close()

    # The killed attempt was never recorded, so it does not count.
    row = project.row(row_id)
    assert (row["status"], row["attempts"]) == ("sending", 0)
    assert project.store.delivery_attempts(row_id) == []

    # Before the lease ends the row is left alone; after, it goes out again.
    project.clock.now = datetime.now(UTC)
    assert project.drain().sent == 0
    project.clock.now = datetime.now(UTC) + timedelta(minutes=5)
    assert project.drain().sent == 1

    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row["key"]
    seen, handled = set(), []
    for request, now in ((first, time.time()), (second, project.clock().timestamp())):
        message_id = verify(SECRET, request.headers, request.body, now=now)
        if message_id not in seen:
            seen.add(message_id)
            handled.append(json.loads(request.body))
    assert handled == [{"kind": "sign-up", "profile": "p1"}]
    row = project.row(row_id)
    assert (row["status"], row["attempts"]) == ("sent", 1)
    [attempt] = project.store.delivery_attempts(row_id)
    assert (attempt["attempt"], attempt["outcome"]) == (1, "sent")
