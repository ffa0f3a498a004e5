"""Stopping a worker mid-attempt: nothing runs on after the store is closed, the cut
attempts are recorded as interrupted, and no row goes past ``delivery.attempts``."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time

from delivery_project import SECRET, webhook_settings
from servers import Reply, wait_for

from tracsh.store import Store


def test_cancelling_a_drain_records_the_attempts_in_flight(
    project_of, receiver, caplog
):
    receiver.default = Reply(hang=True)
    project = project_of(webhook_settings(receiver.url()))
    ids = [project.queue() for _ in range(3)]

    async def scenario() -> None:
        drain = asyncio.create_task(project.worker().drain())
        for _ in range(500):
            if len(receiver.requests) == 3:
                break
            await asyncio.sleep(0.01)
        drain.cancel()
        done, _ = await asyncio.wait([drain], timeout=5)
        assert done, "a cancelled drain ends at once"
        assert drain.cancelled()
        assert asyncio.all_tasks() == {asyncio.current_task()}

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())

    assert caplog.records == [], "nothing failed behind the cancellation"
    for row_id in ids:
        row = project.row(row_id)
        assert (row["status"], row["attempts"]) == ("pending", 0)
        [attempt] = project.store.delivery_attempts(row_id)
        assert (attempt["attempt"], attempt["outcome"]) == (1, "interrupted")
        assert attempt["error"] == "the worker was stopped before the attempt ended"

    receiver.default = Reply()
    assert project.drain().sent == 3, "interrupted rows are due again at once"
    assert {project.row(i)["attempts"] for i in ids} == {1}


def test_an_interrupted_attempt_does_not_count_against_the_limit(project_of, receiver):
    receiver.then(Reply(500), Reply(500), Reply(hang=True))
    receiver.default = Reply(500)
    settings = webhook_settings(receiver.url())
    settings["delivery"] = {"attempts": 3, "backoff": "1s"}
    project = project_of(settings)
    row_id = project.queue()

    for _ in range(2):
        project.drain()
        project.clock.advance(60)

    async def interrupted_third_attempt() -> None:
        drain = asyncio.create_task(project.worker().drain())
        while len(receiver.requests) < 3:
            await asyncio.sleep(0.01)
        drain.cancel()
        await asyncio.wait([drain])

    asyncio.run(interrupted_third_attempt())
    row = project.row(row_id)
    assert (row["status"], row["attempts"]) == ("retry", 2)

    project.clock.advance(3600)
    project.drain()

    row = project.row(row_id)
    assert (row["status"], row["attempts"]) == ("dead", 3)
    outcomes = [
        (a["attempt"], a["outcome"]) for a in project.store.delivery_attempts(row_id)
    ]
    assert outcomes == [(1, "retry"), (2, "retry"), (3, "interrupted"), (3, "dead")]


def test_ctrl_c_on_deliver_stops_cleanly(project_of, receiver, tmp_path):
    receiver.default = Reply(hang=True)
    project = project_of(webhook_settings(receiver.url()))
    ids = [project.queue() for _ in range(3)]
    config = tmp_path / "tracsh.toml"
    config.write_text(
        f'[webhooks.crm]\nurl = "{receiver.url()}"\nallow_private = true\n'
        'secret_env = "CRM_SECRET"\n[delivery]\nattempts = 3\n'
    )
    command = [sys.executable, "-m", "tracsh.cli.main", "deliver"]
    command += ["--db", str(project.db), "--config", str(config)]

    child = subprocess.Popen(
        command,
        env={**os.environ, "CRM_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: len(receiver.requests) == 3, 30)
        time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=20)
    finally:
        child.kill()

    assert (child.returncode, out, err) == (130, "", "tracsh: interrupted\n")
    with Store.open(project.db) as store:
        for row_id in ids:
            assert store.get_outbox(row_id)["status"] == "pending"
            [attempt] = store.delivery_attempts(row_id)
            assert attempt["outcome"] == "interrupted"
