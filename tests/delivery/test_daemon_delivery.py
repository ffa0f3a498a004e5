"""The daemon delivers while it runs, and fires timers on the wall clock.

A real ``tracsh daemon`` subprocess over a project in tmp_path, with aiosmtpd
and a webhook receiver on loopback: a sign-up posted to /track sends the
welcome e-mail at once, and a scheduled event two seconds later calls the CRM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
from delivery_project import SECRET
from servers import wait_for

from tracsh.delivery.signing import verify

RULES = """\
rule "welcome"
  when event.type == "sign-up"
  then
    set profile.pii.email = event.properties.email
    send email "welcome"
    emit event "follow-up" in 2 seconds
end

when event.type == "follow-up" then call webhook "crm" with {"profile": profile.id}
"""

CONFIG = """\
[channels.email]
kind = "smtp"
host = "127.0.0.1"
port = {smtp}
from = "shop@example.test"

[webhooks.crm]
url = "{hook}"
secret_env = "CRM_SECRET"
allow_private = true
"""


def start_daemon(root, env, *extra):
    process = subprocess.Popen(
        [sys.executable, "-m", "tracsh.cli.main", "daemon", "--port", "0", *extra],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert line.startswith("listening on "), process.stderr.read()
    return process, line.split()[-1]


def test_the_daemon_sends_mail_and_fires_scheduled_events(
    tmp_path, mail, receiver, monkeypatch
):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules/live.rules").write_text(RULES)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/welcome.email.j2").write_text(
        "subject: Welcome, {{ profile.pii.email }}\n\nGlad you are here.\n"
    )
    (tmp_path / "tracsh.toml").write_text(
        CONFIG.format(smtp=mail.port, hook=receiver.url())
    )
    env = {**_python_env(), "CRM_SECRET": SECRET}
    process, url = start_daemon(tmp_path, env)
    try:
        payload = {
            "source": {"id": "web"},
            "events": [{"type": "sign-up", "properties": {"email": "ann@x.test"}}],
        }
        answer = httpx.post(f"{url}/track", json=payload, timeout=10)
        assert answer.status_code == 200, answer.text
        profile_id = answer.json()["profile"]["id"]

        assert wait_for(lambda: len(mail.messages) == 1, 10)
        assert mail.messages[0]["Subject"] == "Welcome, ann@x.test"
        assert wait_for(lambda: len(receiver.requests) == 1, 15)
        call = receiver.requests[0]
        assert json.loads(call.body) == {"profile": profile_id}
        assert verify(SECRET, call.headers, call.body)
        assert call.headers["webhook-id"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_no_deliver_leaves_the_outbox_alone(tmp_path, mail, receiver):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules/live.rules").write_text(RULES)
    (tmp_path / "tracsh.toml").write_text(
        CONFIG.format(smtp=mail.port, hook=receiver.url())
    )
    env = {**_python_env(), "CRM_SECRET": SECRET}
    process, url = start_daemon(tmp_path, env, "--no-deliver")
    try:
        signed_up = {"type": "sign-up", "properties": {"email": "bo@x.test"}}
        payload = {"source": {"id": "web"}, "events": [signed_up]}
        assert httpx.post(f"{url}/track", json=payload, timeout=10).status_code == 200
        time.sleep(1.0)
        assert mail.messages == []
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    rows = subprocess.run(
        [sys.executable, "-m", "tracsh.cli.main", "outbox", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [row["status"] for row in json.loads(rows.stdout)] == ["pending"]


def _python_env() -> dict:
    return dict(os.environ)
