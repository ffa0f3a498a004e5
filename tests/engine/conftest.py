"""Fixtures for the engine tests: ``engine(rule text)`` gives a Harness in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_harness import Harness, book_of

from tracsh.engine.pipeline import EngineSettings


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    """A factory: ``engine(rule text or (path, text) pairs, **settings)``;
    ``checked=False`` lets rules the checker refuses through (book_of)."""
    made: list[Harness] = []

    def make(text: Any = "", checked: bool = True, **settings: Any) -> Harness:
        path = tmp_path / f"tracsh-{len(made)}.db"
        book = book_of(text, checked)
        harness = Harness(path, book, EngineSettings(**settings))
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.store.close()
