"""Hot reload: a broken save keeps the rules in force, a fixed one replaces them.

The daemon watches its rules folder (and templates) with watchfiles; each test
edits real files and waits for /healthz to report the outcome.
"""

from __future__ import annotations

import logging
import subprocess
import time

import pytest
from daemon_harness import payload

from tracsh.lang.loader import load_rules

FIRST = 'when event.type == "go" then increment profile.counters.first\n'
SECOND = 'when event.type == "go" then increment profile.counters.second\n'
BROKEN = 'when event.type == "go" then increment\n'


def wait_for(check, timeout: float = 10.0):
    """Poll ``check()`` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the daemon")


def health(running) -> dict:
    return running.client.get("/healthz").json()


def counters(running) -> dict:
    running.track(payload({"type": "go"}, profile="p1"))
    with running.store() as store:
        return store.get_profile("p1")["counters"]


def revision_of(folder) -> str:
    return load_rules([folder]).revision


def test_a_broken_save_keeps_the_old_rules_and_a_fixed_one_swaps(daemon, caplog):
    caplog.set_level(logging.INFO, logger="tracsh.runtime.reload")
    running = daemon(FIRST)
    first = health(running)["revision"]["content"]
    assert counters(running) == {"first": 1}

    (running.rules / "main.rules").write_text(BROKEN)
    refused = wait_for(lambda: health(running)["last_reload_error"])
    assert refused.startswith("1 error(s) in the rules:\n")
    assert f"{running.rules / 'main.rules'}:1:" in refused
    assert health(running)["revision"]["content"] == first
    assert counters(running) == {"first": 2}

    (running.rules / "main.rules").write_text(SECOND)
    wait_for(lambda: health(running)["revision"]["content"] != first)
    now = health(running)
    assert now["revision"]["content"] == revision_of(running.rules)
    assert now["last_reload_error"] is None
    assert counters(running) == {"first": 2, "second": 1}

    messages = [r.getMessage() for r in caplog.records]
    assert "rules not reloaded; the previous rule set stays in force" in messages
    assert "rules reloaded" in messages
    reloaded = next(r for r in caplog.records if r.getMessage() == "rules reloaded")
    assert reloaded.revision["content"] == now["revision"]["content"]


def test_renamed_and_deleted_files_are_followed(daemon):
    running = daemon(FIRST)
    (running.rules / "extra.rules").write_text(SECOND)
    wait_for(lambda: health(running)["revision"]["rules"] == 2)
    assert counters(running) == {"first": 1, "second": 1}

    (running.rules / "extra.rules").rename(running.rules / "renamed.rules")
    wait_for(
        lambda: health(running)["revision"]["content"] == revision_of(running.rules)
    )
    assert health(running)["revision"]["rules"] == 2
    assert counters(running) == {"first": 2, "second": 2}

    (running.rules / "main.rules").unlink()
    wait_for(lambda: health(running)["revision"]["rules"] == 1)
    assert counters(running) == {"first": 2, "second": 3}


def test_a_template_change_is_a_new_revision(daemon, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "thanks.email.j2").write_text("subject: Thanks\nHello")
    running = daemon(FIRST)
    before = health(running)["revision"]["content"]
    assert before != revision_of(running.rules)  # templates count too
    (templates / "thanks.email.j2").write_text("subject: Thanks\nHello again")
    wait_for(lambda: health(running)["revision"]["content"] != before)


def test_the_revision_names_the_git_commit_of_a_checkout(daemon, tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "main.rules").write_text(FIRST)
    git = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t"]
    try:
        subprocess.run([*git, "init", "-q"], check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not available")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "rules"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()

    running = daemon(folder)
    assert health(running)["revision"] | {"loaded": None} == {
        "content": revision_of(folder),
        "commit": head,
        "dirty": False,
        "rules": 1,
        "segments": 0,
        "journeys": 0,
        "loaded": None,
    }
    (folder / "main.rules").write_text(SECOND)
    wait_for(lambda: health(running)["revision"]["dirty"])
    assert health(running)["revision"]["commit"] == head


def test_a_journey_added_by_a_reload_is_entered(daemon):
    running = daemon(FIRST)
    (running.rules / "onboarding.rules").write_text(
        'journey "onboarding"\n'
        '  enter when event.type == "go"\n'
        '  step "welcome"\n'
        "    set profile.traits.welcomed = true\n"
        "end\n"
    )
    wait_for(lambda: health(running)["revision"]["journeys"] == 1)
    running.track(payload({"type": "go"}, profile="p1"))
    with running.store() as store:
        profile = store.get_profile("p1")
    assert profile["journeys"]["onboarding"]["status"] in ("active", "done")
    assert profile["traits"] == {"welcomed": True}
