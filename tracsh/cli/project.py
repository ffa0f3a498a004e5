"""The project a command works in: its configuration, rules, store and templates.

Every command that touches rules or the store takes the same options
(``--config``, ``--rules``, ``--db``); this module adds them and turns them,
with ``tracsh.toml``, into the objects the command needs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracsh.config import Config, load_config
from tracsh.engine.pipeline import Engine, EngineSettings
from tracsh.engine.rulebook import RuleBook, build_rulebook
from tracsh.errors import UserError
from tracsh.lang.loader import RuleSet, load_rules
from tracsh.store import Store


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 to 65535 (0 picks a free one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a port number, got {text!r}"
        ) from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"a port is 0 to 65535 (0 picks a free one), got {value}"
        )
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number from 1 to 10**9."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if not 1 <= value <= 10**9:
        raise argparse.ArgumentTypeError(f"expected 1 to 1000000000, got {value}")
    return value


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """``--config``: the project's tracsh.toml."""
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="the configuration file (default: ./tracsh.toml when present)",
    )


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--db`` and ``--config``."""
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the SQLite database (default: [store] path, or ./tracsh.db)",
    )
    add_config_option(parser)


def add_rules_option(parser: argparse.ArgumentParser) -> None:
    """``--rules``, repeatable."""
    parser.add_argument(
        "--rules",
        type=Path,
        action="append",
        metavar="DIR",
        help="a rules directory or file; repeat for several (default: ./rules)",
    )


def config_of(args: argparse.Namespace) -> Config:
    """The configuration named by ``--config``, or the default one."""
    return load_config(getattr(args, "config", None))


def store_path(args: argparse.Namespace, config: Config) -> Path:
    """The database path: ``--db`` wins over the configuration."""
    return getattr(args, "db", None) or config.store.path


def open_store(args: argparse.Namespace, config: Config, readonly: bool = False):
    """Open the project's store; a missing database is an error when reading."""
    path = store_path(args, config)
    if readonly and str(path) != ":memory:" and not Path(path).exists():
        raise UserError(
            f"no database at {path}; run `tracsh replay` first or pass --db"
        )
    return Store.open(path, readonly=readonly, synchronous=config.store.synchronous)


def rule_paths(args: argparse.Namespace, config: Config) -> list[Path]:
    """The rule files and directories: ``--rules`` wins over the configuration."""
    return list(getattr(args, "rules", None) or config.rules.dirs)


def load_ruleset(args: argparse.Namespace, config: Config) -> RuleSet:
    """Load and check the rules; errors are printed and stop the command."""
    paths = rule_paths(args, config)
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        names = ", ".join(str(p) for p in missing)
        raise UserError(f"rules not found: {names} (pass --rules DIR)")
    ruleset = load_rules(paths)
    for diagnostic in ruleset.diagnostics:
        print(diagnostic.render(), file=sys.stderr)
    if not ruleset.ok:
        errors = sum(d.severity == "error" for d in ruleset.diagnostics)
        raise UserError(f"{errors} error(s) in the rules; nothing was run")
    return ruleset


def load_rulebook(args: argparse.Namespace, config: Config) -> RuleBook:
    """Load, check and compile the rules."""
    return build_rulebook(load_ruleset(args, config))


def renderer_of(config: Config):
    """What renders messages and runs enrichers when actions fire."""
    from tracsh.delivery.renderer import Renderer

    return Renderer(config)


def build_engine(store: Store, book: RuleBook, config: Config) -> Engine:
    """An Engine over ``store`` with the project's session timeout and templates."""
    settings = EngineSettings(session_timeout=config.session.timeout)
    return Engine(store, book, settings, renderer=renderer_of(config))
