"""A project folder for command tests: rules, an event file, and ``run``.

``run(*words)`` calls tracsh's main with ``--db`` and ``--rules`` pointing into
the folder (for commands that take them) and returns the exit status, stdout
and stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

from tracsh.cli.main import load_commands, main


class Project:
    """A tmp_path folder with ``rules/`` and helpers to run commands in it."""

    def __init__(self, folder: Path, capsys) -> None:
        self.folder = folder
        self.capsys = capsys
        (folder / "rules").mkdir()
        self.db = folder / "tracsh.db"

    def rules(self, text: str, name: str = "main.rules") -> None:
        """Write a rule file."""
        (self.folder / "rules" / name).write_text(text, encoding="utf-8")

    def events(self, events: list[dict], name: str = "events.ndjson") -> Path:
        """Write an NDJSON event file; returns its path."""
        path = self.folder / name
        path.write_text("".join(json.dumps(e) + "\n" for e in events))
        return path

    def run(self, *words: str) -> tuple[int, str, str]:
        """Run a command; ``--db``/``--rules`` are added when it takes them."""
        self.capsys.readouterr()
        extra = []
        entry = _entry(words)
        if entry is not None:
            options = _options(entry)
            if "--db" in options and "--db" not in words:
                extra += ["--db", str(self.db)]
            if "--rules" in options and "--rules" not in words:
                extra += ["--rules", str(self.folder / "rules")]
        status = main([*words, *extra])
        out, err = self.capsys.readouterr()
        return status, out, err


def _entry(words):
    commands = load_commands()
    for size in (2, 1):
        name = " ".join(words[:size])
        if name in commands:
            return commands[name]
    return None


def _options(entry) -> set[str]:
    import argparse

    parser = argparse.ArgumentParser()
    entry.configure(parser)
    return {o for action in parser._actions for o in action.option_strings}
