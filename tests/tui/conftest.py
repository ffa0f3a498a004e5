"""Fixtures for the console tests: the shop project, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from console_harness import build_project


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio, as Textual does."""
    return "asyncio"


@pytest.fixture(scope="session")
def prepared(tmp_path_factory) -> Path:
    """The shop project, built once per test session."""
    return build_project(tmp_path_factory.mktemp("shop"))


@pytest.fixture
def shop(prepared, tmp_path, monkeypatch) -> Path:
    """A private copy of the shop project, and the current directory."""
    shutil.copytree(prepared, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path
