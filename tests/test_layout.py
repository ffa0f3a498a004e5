"""The project's structural promises: a headless core and a complete package list."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEADLESS = [
    "tracsh.lang.parser",
    "tracsh.lang.loader",
    "tracsh.lang.compile",
    "tracsh.lang.reference",
    "tracsh.lang.sql",
    "tracsh.store",
    "tracsh.inputs",
    "tracsh.engine.pipeline",
    "tracsh.engine.scheduler",
    "tracsh.engine.refresh",
    "tracsh.cli.replay",
    "tracsh.runtime",
    "tracsh.runtime.server",
    "tracsh.collector.app",
    "tracsh.cli.daemon",
    "tracsh.cli.segments",
    "tracsh.cli.people",
    "tracsh.cli.journeys",
    "tracsh.lang.format",
    "tracsh.lang.printer",
    "tracsh.lang.explain",
    "tracsh.lang.tql",
    "tracsh.testing.runner",
    "tracsh.testing.coverage",
    "tracsh.testing.report",
    "tracsh.store.fields",
    "tracsh.repl.workspace",
    "tracsh.repl.entry",
    "tracsh.cli.main",
    "tracsh.cli.deliver",
    "tracsh.delivery.worker",
    "tracsh.delivery.renderer",
    "tracsh.engine.enrichment",
]


def test_core_imports_neither_textual_nor_prompt_toolkit():
    probe = (
        "import sys\n"
        f"for name in {HEADLESS!r}:\n"
        "    __import__(name)\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('textual', 'prompt_toolkit'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def _imported_after(module: str, then: str = "") -> set[str]:
    """The modules importing ``module`` (then running ``then``) brings in, in a
    fresh interpreter."""
    probe = (
        f"import sys\nimport {module}\n{then}\nprint(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_the_console_and_the_repl_never_import_each_other():
    console = _imported_after("tracsh.tui.app")
    assert not any(name.startswith("tracsh.repl") for name in console)
    assert not any(name.split(".")[0] == "prompt_toolkit" for name in console)
    repl = _imported_after("tracsh.repl")
    assert not any(name.startswith("tracsh.tui") for name in repl)
    assert not any(name.split(".")[0] == "textual" for name in repl)


def test_the_command_line_loads_textual_only_when_the_console_runs():
    loaded = _imported_after("tracsh.cli.main", "tracsh.cli.main.load_commands()")
    assert "tracsh.cli.tui" in loaded
    assert "textual" not in loaded


def test_evaluator_never_imports_the_parser():
    probe = (
        "import sys\n"
        "import tracsh.lang.compile, tracsh.lang.reference, tracsh.lang.explain\n"
        "print('tracsh.lang.parser' in sys.modules, 'lark' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_every_package_directory_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "tracsh").rglob("__init__.py")
    }
    assert found <= listed
    assert "tracsh.grammar" in listed
