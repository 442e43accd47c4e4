"""The command line: dispatch, help for every subcommand, errors mapped to exit status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from machinehearing import cli
from machinehearing.errors import ParameterError


def test_top_level_help_lists_every_command(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"machinehearing {command}" in out
    assert "--" in out  # at least one documented option


def test_version_flag(capsys):
    from machinehearing import __version__

    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_library_errors_become_exit_status_2(monkeypatch, capsys):
    def boom(args):
        raise ParameterError("features='nope': unknown feature")

    parser = cli.build_parser("verify")
    args = parser.parse_args(["verify"])
    monkeypatch.setattr(cli, "build_parser", lambda command=None: _Fixed(args, boom))
    assert cli.main(["verify"]) == 2
    assert "machinehearing verify: error: features='nope'" in capsys.readouterr().err


class _Fixed:
    def __init__(self, args, run):
        self.args, args._run = args, run

    def parse_args(self, argv):
        return self.args


def test_python_dash_m_runs_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "machinehearing", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "COMMAND" in out.stdout


@pytest.mark.parametrize("given, expected", [([], "/env/ESC-50"), (["--data", "/x"], "/x")])
def test_training_commands_read_the_dataset_from_the_environment(monkeypatch, given, expected):
    from machinehearing.commands.train import config_from_args

    monkeypatch.setenv("MACHINEHEARING_DATA", "/env/ESC-50")
    args = cli.build_parser("train").parse_args(["train", "--run-dir", "r", *given])
    assert config_from_args(args).data_root == expected
