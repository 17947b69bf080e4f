"""The sub-commands' shared parser pieces (cli/arguments.py): one -m/--model, one layout of
--help, one wording for bad values, whichever sub-command takes them."""

from __future__ import annotations

import importlib

import pytest

from edgeclass.cli.arguments import MODEL_HELP, shows_progress
from edgeclass.cli.main import build_parser

MODEL_COMMANDS = {
    "classify": ["photos"],
    "evaluate": ["labelled"],
    "explain": ["photo.jpg", "-o", "heat.png"],
    "sort": ["photos", "--into", "sorted"],
    "serve": [],
}
RAW_HELP_COMMANDS = ("classify", "evaluate", "explain", "sort", "serve", "quantize")


def help_text(capsys, command: str) -> str:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps option help


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_every_model_command_takes_the_same_model_option(capsys, command):
    for flag in ("-m", "--model"):
        args = build_parser().parse_args([command, *MODEL_COMMANDS[command], flag, "my-model"])
        assert args.model == "my-model"
    assert build_parser().parse_args([command, *MODEL_COMMANDS[command]]).model is None
    assert f"-m DIR, --model DIR {MODEL_HELP}" in help_text(capsys, command)


@pytest.mark.parametrize("command", RAW_HELP_COMMANDS)
def test_help_keeps_the_examples_line_breaks(capsys, command):
    epilog = importlib.import_module(f"edgeclass.cli.{command}").EPILOG
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    out = capsys.readouterr().out
    example = next(line for line in epilog.splitlines() if line.startswith("  edgeclass"))
    assert f"\n{example}\n" in out


@pytest.mark.parametrize(
    ("value", "message"),
    [("2", "must be between 0 and 1, got 2.0"), ("x", "expected a number, got 'x'")],
)
def test_quantize_rates_are_worded_like_every_other_probability(capsys, value, message):
    for command in (
        ["quantize", "model", "--calib", "c", "--eval", "e", "--out", "o", "--min-agreement"],
        ["classify", "photos", "--threshold"],
    ):
        with pytest.raises(SystemExit):
            build_parser().parse_args([*command, value])
        assert message in capsys.readouterr().err


class Stream:
    def __init__(self, terminal: bool) -> None:
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.mark.parametrize("command", ["classify", "evaluate", "sort"])
def test_progress_shows_on_a_terminal_unless_told_otherwise(command):
    def shown(*flags: str, terminal: bool) -> bool:
        args = build_parser().parse_args([command, *MODEL_COMMANDS[command], *flags])
        return shows_progress(args, Stream(terminal))

    assert shown(terminal=True) and not shown(terminal=False)
    assert shown("--progress", terminal=False)
    assert not shown("--no-progress", terminal=True)
    assert not shown("-q", terminal=True) and not shown("-q", "--progress", terminal=True)
