"""The tracsh console script: builds the parser from the command registry."""


def main(argv: list[str] | None = None) -> int:
    """Run tracsh with ``argv`` (default: the process arguments)."""
    raise SystemExit("tracsh: not built yet")
