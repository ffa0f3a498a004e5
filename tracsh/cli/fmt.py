"""``tracsh fmt``: print, check, diff or rewrite rule files in the canonical layout.

Without an option the formatted text goes to stdout. ``--check`` lists the files
that would change and exits 1 when there are any; ``--diff`` prints a unified
diff (exit 1 when anything differs); ``--write`` rewrites the files in place. A
file that does not parse is reported with its error and left alone. ``-`` reads
standard input.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.cli.utf8 import stdin_text
from tracsh.errors import UserError
from tracsh.lang import nodes as n
from tracsh.lang.errors import RuleError
from tracsh.lang.format import FormatError, format_source
from tracsh.lang.loader import read_source, rule_files
from tracsh.lang.parser import parse_file


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="rule files or directories, or - for stdin (default: the rules dirs)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="list files that would change; exit 1"
    )
    mode.add_argument("--diff", action="store_true", help="print a unified diff")
    mode.add_argument("--write", action="store_true", help="rewrite files in place")
    project.add_config_option(parser)


@command(
    "fmt",
    "format rule files in the one canonical layout (comments kept)",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def fmt(args: argparse.Namespace) -> int:
    """Format every named file; the exit status says whether anything is amiss."""
    if args.paths == ["-"]:
        return _stdin(args)
    paths = [Path(p) for p in args.paths] or project.rule_paths(
        args, project.config_of(args)
    )
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UserError(f"no such file or directory: {', '.join(missing)}")
    files = rule_files(paths)
    outcome = [_one(path, args, len(files) > 1) for path in files]
    changed = sum(1 for o in outcome if o == "changed")
    broken = sum(1 for o in outcome if o == "broken")
    _summary(args, len(files), changed, broken)
    if broken or ((args.check or args.diff) and changed):
        return 1
    return 0


def _stdin(args: argparse.Namespace) -> int:
    text = stdin_text()
    try:
        formatted = format_source(text, "<stdin>")
    except RuleError as err:
        print(err.render(), file=sys.stderr)
        return 1
    text = text.replace("\r\n", "\n")
    if args.check:
        return 1 if formatted != text else 0
    if args.diff:
        sys.stdout.writelines(_diff(text, formatted, "<stdin>"))
        return 1 if formatted != text else 0
    sys.stdout.write(formatted)
    return 0


def _one(path: Path, args: argparse.Namespace, several: bool) -> str:
    """Format one file as the mode asks: ``same``, ``changed`` or ``broken``."""
    text, problem = read_source(path)
    if problem is not None:
        print(problem.render(), file=sys.stderr)
        return "broken"
    assert text is not None
    try:
        formatted = format_source(text, str(path))
    except RuleError as err:
        print(err.render(), file=sys.stderr)
        return "broken"
    except FormatError as err:
        print(
            f"tracsh fmt: {err}; the file was left alone (a tracsh bug)",
            file=sys.stderr,
        )
        return "broken"
    changed = formatted != text.replace("\r\n", "\n")
    if changed:
        _note_moved_ids(path, text, formatted)
    _show(path, text, formatted, args, several, changed)
    return "changed" if changed else "same"


def _show(
    path: Path,
    text: str,
    formatted: str,
    args: argparse.Namespace,
    several: bool,
    changed: bool,
) -> None:
    if args.check:
        if changed:
            print(path)
    elif args.diff:
        # Line ends are not the layout's business: a CRLF file keeps them.
        if changed:
            lines = text.replace("\r\n", "\n")
            sys.stdout.writelines(_diff(lines, formatted, str(path)))
    elif args.write:
        if changed:
            _replace(path, formatted, "\r\n" if "\r\n" in text else "\n")
            print(f"reformatted {path}", file=sys.stderr)
    else:
        if several:
            print(f"==> {path} <==")
        sys.stdout.write(formatted)


def _diff(text: str, formatted: str, name: str) -> list[str]:
    return list(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            formatted.splitlines(keepends=True),
            fromfile=name,
            tofile=f"{name} (formatted)",
        )
    )


def _replace(path: Path, text: str, newline: str = "\n") -> None:
    """Write ``text`` over ``path`` atomically, keeping the file's mode and
    writing its line ends as ``newline``.

    A symbolic link stays a link: the file it points to is the one replaced, in
    its own directory, with its own permissions.
    """
    path = Path(os.path.realpath(path))
    mode = path.stat().st_mode
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as out:
            out.write(text)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _note_moved_ids(path: Path, text: str, formatted: str) -> None:
    """One-line rules are known by file and line; say when formatting moves them."""
    before = _line_rule_ids(text, path)
    after = _line_rule_ids(formatted, path)
    moved = [f"{a} -> {b}" for a, b in zip(before, after, strict=False) if a != b]
    if moved:
        print(
            f"note: {path}: one-line rule ids change with their lines "
            f"(statistics are kept by id): {', '.join(moved)}",
            file=sys.stderr,
        )


def _line_rule_ids(text: str, path: Path) -> list[str]:
    forms = parse_file(text.replace("\r\n", "\n"), str(path)).forms
    return [
        f"{path.stem}:{form.span.line}"
        for form in forms
        if isinstance(form, n.Rule) and form.name is None
    ]


def _summary(args: argparse.Namespace, files: int, changed: int, broken: int) -> None:
    if args.check:
        state = f"{changed} would be reformatted"
    elif args.write:
        state = f"{changed} reformatted"
    else:
        return
    tail = f", {broken} could not be read or parsed" if broken else ""
    print(f"{files} file(s): {state}{tail}", file=sys.stderr)
