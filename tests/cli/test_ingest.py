"""tracsh ingest: stdin and files, resumed after kill -9 without duplicates."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

RULES = "when event.type exists then increment profile.counters.events\n"


def ingest_command(tmp_path: Path, *arguments: str) -> list[str]:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "main.rules").write_text(RULES)
    return [
        sys.executable,
        "-m",
        "tracsh.cli.main",
        "ingest",
        *arguments,
        "--rules",
        str(rules),
        "--db",
        str(tmp_path / "t.db"),
        "--no-reload",
    ]


def run(
    tmp_path: Path, *arguments: str, stdin: bytes = b""
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ingest_command(tmp_path, *arguments),
        input=stdin,
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
    )


def stored(tmp_path: Path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as connection:
        return connection.execute(
            "SELECT id, profile_id, type FROM events ORDER BY seq"
        ).fetchall()


def lines(count: int, start: int = 0) -> bytes:
    """NDJSON with every third event lacking an id (ids then come from the line)."""
    out = []
    for n in range(start, start + count):
        event = {"type": "view", "profile": f"p{n % 7}", "properties": {"n": n}}
        if n % 3:
            event["id"] = f"e{n}"
        out.append(json.dumps(event))
    return ("\n".join(out) + "\n").encode()


def test_stdin_is_read_to_its_end_and_summarised(tmp_path):
    data = lines(3) + b"not json\n" + b'{"type": "x"}'
    done = run(tmp_path, stdin=data)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert "events     5 read, 4 accepted, 1 rejected" in out
    assert "rejected stdin:4: bad JSON at column 1: Expecting value" in out
    assert f"position   byte {len(data):,}, line 6" in out
    assert [row[2] for row in stored(tmp_path)] == ["view"] * 3 + ["x"]
    with sqlite3.connect(tmp_path / "t.db") as connection:
        rejects = connection.execute("SELECT source, line, reason FROM rejects")
        assert rejects.fetchall() == [
            ("stdin", 4, "bad JSON at column 1: Expecting value")
        ]
    for line in done.stderr.decode().splitlines():
        json.loads(line)  # the log is JSON lines


def test_a_file_resumes_where_the_last_run_committed(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_bytes(lines(10))
    first = run(tmp_path, str(path), "--json")
    assert json.loads(first.stdout)["events"]["accepted"] == 10
    with path.open("ab") as file:
        file.write(lines(5, start=10))
    second = json.loads(run(tmp_path, str(path), "--json").stdout)
    assert second["events"]["accepted"] == 5
    assert second["position"] == {"offset": path.stat().st_size, "line": 16}
    again = json.loads(run(tmp_path, str(path), "--from-offset", "0", "--json").stdout)
    assert (again["events"]["accepted"], again["events"]["duplicates"]) == (15, 15)
    assert len(stored(tmp_path)) == 15


@pytest.mark.parametrize(
    ("replacement", "found"),
    [(lines(1, start=50), "is 72 bytes long"), (lines(3, start=50), "has changed")],
)
def test_a_file_replaced_since_the_last_run_is_not_skipped_silently(
    tmp_path, replacement, found
):
    path = tmp_path / "events.ndjson"
    path.write_bytes(lines(2))
    assert run(tmp_path, str(path)).returncode == 0
    path.write_bytes(replacement)
    done = run(tmp_path, str(path))
    assert done.returncode == 1
    assert done.stderr.decode().strip().splitlines()[-1] == (
        f"tracsh ingest: {path} {found}, but the last ingest of it stopped at byte "
        "128: the file was truncated or replaced; pass --from-offset 0 to read it "
        "from the start (lines already stored are not stored twice)"
    )
    again = run(tmp_path, str(path), "--from-offset", "0")
    assert again.returncode == 0
    assert len(stored(tmp_path)) == 2 + replacement.count(b"\n")


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--from-offset", "3"], "--from-offset 3 is not at the start of a line"),
        (
            ["--from-offset", "99999"],
            "--from-offset 99,999 is past the end of the file",
        ),
        (["--from-offset", "-1"], "--from-offset must be 0 or more"),
        (
            ["--follow", "-"],
            "--follow needs a FILE: stdin is read until it ends anyway",
        ),
        (["missing.ndjson"], "missing.ndjson: cannot read: No such file or directory"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path, arguments, message):
    (tmp_path / "events.ndjson").write_bytes(lines(2))
    if "--from-offset" in arguments:
        arguments = ["events.ndjson", *arguments]
    done = run(tmp_path, *arguments)
    assert done.returncode == 1
    assert done.stderr.decode().strip().splitlines()[-1] == f"tracsh ingest: {message}"


def test_kill_9_at_random_moments_then_a_rerun_stores_each_line_once(tmp_path):
    path = tmp_path / "events.ndjson"
    total = 20_000
    path.write_bytes(lines(total))
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    seen = 0
    for _ in range(3):
        process = subprocess.Popen(
            ingest_command(tmp_path, str(path), "--log-level", "warning"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        # Kill while it is committing: after it has made progress.
        wait_for_rows(tmp_path, seen + 1)
        time.sleep(rng.uniform(0, 0.15))
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        seen = len(stored(tmp_path))
        assert seen < total, "the kill came after the end; feed more lines"
    finished = run(tmp_path, str(path), "--json")
    assert finished.returncode == 0, finished.stderr.decode()
    summary = json.loads(finished.stdout)
    assert summary["events"]["accepted"] == total - seen
    rows = stored(tmp_path)
    assert len(rows) == total == len({row[0] for row in rows})
    with sqlite3.connect(tmp_path / "t.db") as connection:
        [(integrity,)] = connection.execute("PRAGMA integrity_check").fetchall()
        counters = {
            pid: json.loads(doc)["counters"]["events"]
            for pid, doc in connection.execute("SELECT id, doc FROM profiles")
        }
    assert integrity == "ok"
    assert counters == {f"p{k}": len(range(k, total, 7)) for k in range(7)}


def test_follow_reads_lines_appended_later_and_stops_on_sigterm(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_bytes(lines(3))
    process = subprocess.Popen(
        ingest_command(tmp_path, str(path), "--follow"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    wait_for_rows(tmp_path, 3)
    with path.open("ab") as file:
        file.write(lines(2, start=3))
    wait_for_rows(tmp_path, 5)
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"position   byte {path.stat().st_size:,}, line 6" in out.decode()


def test_sigterm_stops_reading_a_quiet_stdin_and_commits_what_came(tmp_path):
    process = subprocess.Popen(
        ingest_command(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    process.stdin.write(lines(4))
    process.stdin.flush()
    wait_for_rows(tmp_path, 4)
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "4 accepted" in out.decode()


def wait_for_rows(tmp_path: Path, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(stored(tmp_path)) >= count:
                return
        except sqlite3.OperationalError:
            pass  # the database is not created yet
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} events were stored in time")


def test_ingest_and_replay_give_a_file_the_same_ids(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_bytes(lines(9))
    command = ingest_command(tmp_path)  # also writes the rules folder
    replay = [*command[:3], "replay", str(path), "--json", *command[-5:-1]]
    replayed = subprocess.run(replay, capture_output=True, cwd=tmp_path, check=True)
    assert json.loads(replayed.stdout)["events"]["accepted"] == 9
    # From the middle: the lines still count from the top of the file.
    middle = len(b"".join(lines(9).splitlines(keepends=True)[:4]))
    again = json.loads(
        run(tmp_path, str(path), "--from-offset", str(middle), "--json").stdout
    )
    assert (again["events"]["accepted"], again["events"]["duplicates"]) == (5, 5)
    assert len(stored(tmp_path)) == 9


@pytest.mark.parametrize("last", [b"\n", b""], ids=["ended", "at the end"])
def test_a_huge_line_is_rejected_without_holding_it_and_the_rest_is_read(
    tmp_path, last
):
    huge = b'{"type": "x", "pad": "' + b"y" * 300_000 + b'"}'
    data = lines(2) + huge + b"\n" + lines(1, start=2) + huge + last
    done = run(tmp_path, "--json", stdin=data)
    assert done.returncode == 0, done.stderr.decode()
    summary = json.loads(done.stdout)
    assert (summary["events"]["accepted"], summary["events"]["rejected"]) == (3, 2)
    assert summary["position"] == {"offset": len(data), "line": 6}
    reasons = [reject["reason"] for reject in summary["first_rejects"]]
    assert reasons == [f"too large: {len(huge):,} bytes; the limit is 65,536 bytes"] * 2
    assert [r["line"] for r in summary["first_rejects"]] == [3, 5]
