"""Fixtures for the delivery tests: loopback servers and projects in tmp_path."""

from __future__ import annotations

import pytest
from delivery_project import SECRET, Project
from servers import MailServer, Receiver


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def mail():
    with MailServer() as server:
        yield server


@pytest.fixture
def project_of(tmp_path, monkeypatch):
    """Make a Project from settings; the webhook secret is in the environment."""
    monkeypatch.setenv("CRM_SECRET", SECRET)
    made: list[Project] = []

    def make(settings: dict) -> Project:
        project = Project(tmp_path, settings)
        made.append(project)
        return project

    yield make
    for project in made:
        project.store.close()
