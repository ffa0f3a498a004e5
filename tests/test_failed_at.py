"""Where an error was raised is shown from its package, not its install folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracsh.errors import UserError, failed_at
from tracsh.inputs import read_items


def raised(call) -> BaseException:
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


def test_tracsh_frames_are_shown_from_the_package():
    error = raised(lambda: list(read_items(Path("/no/such/file.ndjson"))))
    assert isinstance(error, UserError)
    assert failed_at(error).startswith("at tracsh/inputs/")
    assert "/no/such" not in failed_at(error)


def test_library_frames_are_shown_from_their_package():
    error = raised(lambda: json.loads("{"))
    assert failed_at(error).startswith("at json/decoder.py:")


def test_an_error_never_raised_has_no_place():
    assert failed_at(ValueError("x")) == ""
