"""Every command has help, and the help comes from the registry."""

import pytest

from tracsh.cli.main import build_parser, load_commands, main


def test_every_command_has_one_line_help():
    commands = load_commands()
    assert {"replay", "check", "eval", "stats", "profile show"} <= set(commands)
    for entry in commands.values():
        assert entry.help and "\n" not in entry.help, entry.name
        assert entry.description, entry.name


@pytest.mark.parametrize("name", sorted(load_commands()))
def test_help_of_each_command_prints(name, capsys):
    with pytest.raises(SystemExit) as exited:
        main([*name.split(), "--help"])
    assert exited.value.code == 0
    assert load_commands()[name].description.split()[0] in capsys.readouterr().out


def test_top_level_help_lists_every_command(capsys):
    build_parser().print_help()
    out = capsys.readouterr().out
    for name in load_commands():
        assert name.split()[0] in out
