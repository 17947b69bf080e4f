"""The sub-commands' shared parser pieces (cli/arguments.py): one -m/--model, one layout of
--help, one wording for bad values, whichever sub-command takes them."""

from __future__ import annotations

import argparse
import importlib
import re

import pytest

from edgeclass.cli.arguments import (
    MODEL_HELP,
    non_negative_float,
    port,
    positive_float,
    positive_int,
    probability,
    shows_progress,
)
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


GOOD = [
    (positive_int, "64", 64),
    (probability, "0", 0.0),
    (probability, "1", 1.0),
    (non_negative_float, "0", 0.0),
    (positive_float, "0.5", 0.5),
    (port, "0", 0),
    (port, "65535", 65535),
]
BAD = [
    (positive_int, "0", "must be at least 1, got 0"),
    (positive_int, "1.5", "expected a whole number, got '1.5'"),
    (probability, "1.01", "must be between 0 and 1, got 1.01"),
    (probability, "nan", "must be between 0 and 1, got nan"),
    (probability, "x", "expected a number, got 'x'"),
    (non_negative_float, "-1", "must not be negative, got -1.0"),
    (non_negative_float, "nan", "must not be negative, got nan"),
    (positive_float, "0", "must be above 0 and finite, got 0.0"),
    (positive_float, "inf", "must be above 0 and finite, got inf"),
    (positive_float, "nan", "must be above 0 and finite, got nan"),
    (port, "65536", "must be 0..65535, got 65536"),
    (port, "http", "expected a port number, got 'http'"),
]


@pytest.mark.parametrize(("kind", "text", "value"), GOOD)
def test_value_types_accept_their_range(kind, text, value):
    assert kind(text) == value and type(kind(text)) is type(value)


@pytest.mark.parametrize(("kind", "text", "message"), BAD)
def test_value_types_word_every_refusal_alike(kind, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=f"^{re.escape(message)}$"):
        kind(text)
