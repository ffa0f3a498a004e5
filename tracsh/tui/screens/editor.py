"""The rule editor: a rule file with colours, live ``check`` diagnostics, save.

Every pause in typing checks the text as ``tracsh check`` would, together with
the other rule files (so duplicate ids across files show too), in a thread.
Saving writes the file; the engine running in this console reloads the rules,
and a daemon's hot reload picks the file up by itself.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import DescendantFocus
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tracsh.lang.loader import load_sources, read_sources, rule_files
from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import ConsoleScreen
from tracsh.tui.screens.dialogs import ConfirmScreen
from tracsh.tui.widgets.details import shown_path
from tracsh.tui.widgets.editor import RuleEditor

PAUSE = 0.3
"""Seconds of quiet typing before the text is checked."""


def check_text(rule_paths: list[Path], path: str, text: str) -> list:
    """Diagnostics of ``text`` as the file ``path`` among the project's rules."""
    sources, unreadable = read_sources(rule_paths)
    sources = [pair for pair in sources if pair[0] != path]
    sources.append((path, text))
    sources.sort(key=lambda pair: Path(pair[0]).as_posix())
    others = [d.path for d in unreadable if d.path != path]
    ruleset = load_sources(sources, others)
    return [d for d in ruleset.diagnostics if d.path == path]


class EditorScreen(ConsoleScreen):
    """Edit rule files with the checker looking over your shoulder."""

    AREA = "editor"
    BINDINGS = bindings("editor")
    """Save, revert, next problem, back to the file list."""

    DEFAULT_CSS = """
    EditorScreen #files { width: 32; }
    EditorScreen.-narrow.-editing #files { display: none; }
    EditorScreen #problems {
        height: 7; border-top: solid $primary 40%; padding: 0 1; overflow-y: auto;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.path: str | None = None
        self.saved_text = ""
        self._pending = None

    def compose_body(self) -> ComposeResult:
        """The file list, the text, the problems."""
        with Horizontal():
            yield OptionList(id="files")
            with Vertical():
                yield RuleEditor(id="text")
                yield Static("choose a file on the left", id="problems")

    @property
    def editor(self) -> RuleEditor:
        """The text widget."""
        return self.query_one(RuleEditor)

    def on_mount(self) -> None:
        """List the rule files and follow the console's theme."""
        super().on_mount()
        self.list_files()
        self.follow_theme()
        self.app.theme_changed_signal.subscribe(self, lambda _: self.follow_theme())

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Narrow, the text takes the whole width while it has the focus (esc
        brings the file list back)."""
        self.set_class(isinstance(event.widget, RuleEditor), "-editing")

    def follow_theme(self) -> None:
        """Use the editor colours that go with the console theme."""
        self.editor.theme = self.app.theme

    def list_files(self) -> None:
        """Fill the file list from the rule paths."""
        files = self.query_one("#files", OptionList)
        files.clear_options()
        for path in rule_files(self.app.plan.rule_paths):
            files.add_option(Option(shown_path(str(path)), id=str(path)))
        if self.path is None:
            files.focus()

    # Opening and saving.

    def open(self, path: str, line: int = 1) -> None:
        """Load ``path`` into the editor with the cursor on ``line``."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            self.notify(f"{path}: cannot read: {err}", severity="error")
            return
        self.path, self.saved_text = path, text
        self.editor.load_text(text)
        self.editor.move_cursor((max(line - 1, 0), 0), center=True)
        self.editor.focus()
        self.check_now()

    @property
    def dirty(self) -> bool:
        """Whether the text differs from the file."""
        return self.path is not None and self.editor.text != self.saved_text

    def action_save(self) -> None:
        """Write the file and have the rules reloaded."""
        if self.path is None:
            self.notify("no file open", severity="warning")
            return
        try:
            Path(self.path).write_text(self.editor.text, encoding="utf-8")
        except OSError as err:
            self.notify(f"{self.path}: cannot write: {err.strerror}", severity="error")
            return
        self.saved_text = self.editor.text
        self.notify(f"saved {self.path}", timeout=2)
        self.app.rules_saved()
        self.show_problems()

    def action_revert(self) -> None:
        """Read the file again, dropping unsaved changes."""
        if self.path is not None:
            self.open(self.path, self.editor.cursor_location[0] + 1)

    def action_leave(self) -> None:
        """Go to the file list."""
        self.query_one("#files", OptionList).focus()

    def action_next_problem(self) -> None:
        """Put the cursor on the next diagnostic after it, wrapping around."""
        problems = sorted(self.editor.problems, key=lambda d: (d.line, d.column))
        if not problems:
            self.notify("no problems", timeout=2)
            return
        here = self.editor.cursor_location
        after = [d for d in problems if (d.line - 1, d.column - 1) > here]
        target = (after or problems)[0]
        self.editor.move_cursor((target.line - 1, target.column - 1), center=True)
        self.editor.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Open the chosen file, asking first when changes would be lost."""
        path = event.option.id
        if not self.dirty:
            self.open(path)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.open(path)

        question = f"{self.path} has unsaved changes. Open {path} and lose them?"
        self.app.push_screen(ConfirmScreen(question), answered)

    # Checking.

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Check again once typing pauses."""
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(PAUSE, self.check_now)

    def check_now(self) -> None:
        """Check the text in a thread."""
        if self.path is None:
            return
        plan = self.app.plan
        self.load("check", check_text, plan.rule_paths, self.path, self.editor.text)

    def show_check(self, problems: list) -> None:
        """Mark the problems in the text and list them below."""
        self.editor.mark(problems)
        self.show_problems()

    def show_problems(self) -> None:
        """The diagnostics list under the text."""
        problems = self.editor.problems
        state = "unsaved" if self.dirty else "saved"
        text = Text(f"{shown_path(self.path)}  ({state})\n", style="bold")
        if not problems:
            text.append("no problems: `tracsh check` passes this file", style="green")
        for problem in problems:
            style = {"error": "red", "warning": "yellow"}.get(problem.severity, "dim")
            text.append(f"{problem.line}:{problem.column} ", style="dim")
            text.append(f"{problem.severity}: {problem.message}\n", style=style)
        self.query_one("#problems", Static).update(text)
