"""Log lines: one JSON object each on stderr, with the request's id."""

from __future__ import annotations

import io
import json
import logging
import signal

import httpx
from daemon_harness import SubprocessDaemon, write_rules

from tracsh.runtime.logs import (
    JsonLines,
    bind_request_id,
    configure_logging,
    unbind_request_id,
)


def test_a_record_becomes_one_json_line_with_extras_and_the_request_id():
    stream = io.StringIO()
    configure_logging("info", stream)
    try:
        logger = logging.getLogger("tracsh.test")
        token = bind_request_id("r-17")
        logger.info("took %d ms", 5, extra={"route": "/track"})
        unbind_request_id(token)
        logger.debug("not shown at info")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logging.getLogger().handlers[:] = []
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first | {"time": None} == {
        "time": None,
        "level": "info",
        "logger": "tracsh.test",
        "message": "took 5 ms",
        "request_id": "r-17",
        "route": "/track",
    }
    assert "request_id" not in second
    assert second["traceback"].endswith("ValueError: boom")
    assert isinstance(JsonLines(), logging.Formatter)


def test_the_daemon_logs_json_lines_naming_each_request(tmp_path):
    rules = write_rules(tmp_path / "rules", "")
    daemon = SubprocessDaemon(tmp_path, rules, tmp_path / "t.db").start()
    with httpx.Client(base_url=daemon.url) as client:
        own = client.get("/healthz", headers={"X-Request-ID": "mine-1"})
        given = client.post("/track", content=b"[]")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    text = daemon.log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    access = {
        line["request_id"]: line for line in lines if line.get("path") is not None
    }
    assert own.headers["x-request-id"] == "mine-1"
    assert access["mine-1"]["status"] == 200
    refused = access[given.headers["x-request-id"]]
    assert (refused["method"], refused["path"], refused["status"]) == (
        "POST",
        "/track",
        400,
    )


def test_log_level_warning_keeps_the_info_lines_out(tmp_path):
    rules = write_rules(tmp_path / "rules", "")
    daemon = SubprocessDaemon(
        tmp_path, rules, tmp_path / "t.db", "--log-level", "warning"
    ).start()
    with httpx.Client(base_url=daemon.url) as client:
        client.get("/healthz")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    levels = {line["level"] for line in daemon.lines()}
    assert levels <= {"warning", "error"}
