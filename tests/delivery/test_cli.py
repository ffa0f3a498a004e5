"""The delivery commands: deliver, outbox retry, webhook list|enable, outbox listing."""

from __future__ import annotations

import json

import pytest
from delivery_project import webhook_settings

from tracsh.cli.main import main


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def shop(project_of, receiver, tmp_path):
    project = project_of(webhook_settings(receiver.url()))
    config = tmp_path / "tracsh.toml"
    config.write_text(
        f'[webhooks.crm]\nurl = "{receiver.url()}"\nallow_private = true\n'
        'secret_env = "CRM_SECRET"\n'
    )
    project.args = ["--db", str(project.db), "--config", str(config)]
    return project


def test_deliver_sends_what_is_due_and_says_what_waits(shop, receiver, capsys):
    shop.queue()
    shop.queue(kind="email", target="welcome", recipient="a@example.com")

    status, out, _ = run(capsys, "deliver", *shop.args)

    assert status == 0 and len(receiver.requests) == 1
    assert out.splitlines() == [
        "delivered  1 sent, 0 to retry, 0 dead, 0 failed",
        "waiting    1 email: no [channels.email] in the configuration",
    ]
    status, out, _ = run(capsys, "deliver", *shop.args, "--json")
    assert json.loads(out) == {
        "sent": 0,
        "retry": 0,
        "dead": 0,
        "failed": 0,
        "held": {"email: no [channels.email] in the configuration": 1},
    }


def test_outbox_retry_requeues_dead_letters_by_id_or_all(shop, capsys):
    dead = [shop.queue(status="dead", attempts=8) for _ in range(3)]
    sent = shop.queue(status="sent")

    status, out, _ = run(capsys, "outbox", "retry", str(dead[0]), *shop.args)
    assert (status, out) == (0, f"1 row(s) due again: {dead[0]}\n")
    row = shop.row(dead[0])
    assert (row["status"], row["attempts"]) == ("pending", 0)

    status, out, _ = run(capsys, "outbox", "retry", "--dead", *shop.args)
    assert out == f"2 row(s) due again: {dead[1]}, {dead[2]}\n"

    status, _, err = run(capsys, "outbox", "retry", str(sent), *shop.args)
    assert status == 1
    assert err == (
        f"tracsh outbox retry: outbox {sent} is sent: only dead, failed and retry "
        "rows are sent again\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["99"], "no outbox row 99; see `tracsh outbox`"),
        ([], "give outbox ids, or --dead, or --failed (one of them)"),
        (["1", "--dead"], "give outbox ids, or --dead, or --failed (one of them)"),
    ],
)
def test_outbox_retry_mistakes(shop, capsys, argv, message):
    shop.queue()
    status, _, err = run(capsys, "outbox", "retry", *argv, *shop.args)
    assert (status, err) == (1, f"tracsh outbox retry: {message}\n")


def test_the_outbox_listing_still_works_beside_retry(shop, capsys):
    shop.queue(status="dead", reason="HTTP 500")
    shop.queue()

    status, out, _ = run(capsys, "outbox", "--json", "--status", "dead", *shop.args)

    assert status == 0
    assert [row["reason"] for row in json.loads(out)] == ["HTTP 500"]


def test_webhook_enable_clears_a_410(shop, capsys):
    with shop.store.transaction():
        shop.store.set_endpoint("webhook", "crm", True, "410 Gone", "then")
    shop.queue()

    _, out, _ = run(capsys, "webhook", "list", *shop.args)
    assert out.splitlines()[0].endswith("disabled: 410 Gone")

    status, out, _ = run(capsys, "webhook", "enable", "crm", *shop.args)
    assert (status, out) == (
        0,
        "webhook crm enabled; run `tracsh deliver` to send what waits\n",
    )
    assert shop.store.disabled_endpoints() == {}
    status, _, err = run(capsys, "webhook", "enable", "billing", *shop.args)
    assert err == "tracsh webhook enable: no webhook called 'billing' (known: crm)\n"


def test_deliver_without_a_database_says_so(capsys, tmp_path):
    status, _, err = run(capsys, "deliver", "--db", str(tmp_path / "none.db"))
    assert status == 1
    assert err.startswith("tracsh deliver: no database at ")
