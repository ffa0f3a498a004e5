"""Fixtures for command tests: a project folder in tmp_path."""

from __future__ import annotations

import pytest
from cli_project import Project


@pytest.fixture
def project(tmp_path, capsys) -> Project:
    """An empty project: ``rules/`` and a database path, in tmp_path."""
    return Project(tmp_path, capsys)
