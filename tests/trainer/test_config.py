"""Configuration precedence: defaults < YAML file < command-line flags."""

from __future__ import annotations

import pytest

from edgeclass.cli.main import build_parser, main
from edgeclass.trainer.config import ConfigError, TrainConfig, build_config


def parse_train(argv: list[str]) -> TrainConfig:
    args = build_parser().parse_args(["train", *argv])
    overrides = {k: v for k, v in vars(args).items() if k not in ("func", "command", "config")}
    return build_config(args.config, overrides)


def test_flags_override_yaml_which_overrides_defaults(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "data: photos\noutput: out\nepochs: 7\nbatch-size: 16\nlearning_rate: 1.0e-3\n"
        "hflip: false\nfrom_scratch: x-small\n"
    )
    config = parse_train(["--config", str(recipe), "--epochs", "3", "--lr", "0.01", "--hflip"])
    assert config.epochs == 3  # flag beats file
    assert config.learning_rate == 0.01  # flag (alias --lr) beats file
    assert config.hflip is True  # --hflip beats `hflip: false`
    assert config.batch_size == 16  # file beats default; dashes in keys are accepted
    assert config.from_scratch == "x-small"
    assert config.weight_decay == TrainConfig().weight_decay  # neither: default
    assert config.data == "photos" and config.output == "out"


def test_flags_alone_and_yaml_alone(tmp_path):
    assert parse_train(["--data", "d", "--output", "o"]).epochs == TrainConfig().epochs
    recipe = tmp_path / "r.yaml"
    recipe.write_text("data: d\noutput: o\nepochs: '12'\nlearning_rate: 2e-3\n")
    config = parse_train(["--config", str(recipe)])
    assert config.epochs == 12 and config.learning_rate == 0.002  # strings from YAML coerced


def test_unknown_yaml_key_is_an_error(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("data: d\noutput: o\nepochz: 3\n")
    with pytest.raises(ConfigError, match="epochz"):
        parse_train(["--config", str(recipe)])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"output": "o"}, "no data given"),
        ({"data": "d"}, "no output folder"),
        ({"data": "d", "output": "o", "val_fraction": 0.6, "test_fraction": 0.5}, "leave images"),
        ({"data": "d", "output": "o", "epochs": 0}, "epochs"),
        ({"data": "d", "output": "o", "batch_size": "many"}, "batch_size"),
    ],
)
def test_invalid_configs_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        build_config(None, options)


def test_cli_reports_config_errors_with_usage_exit_code(tmp_path, capsys):
    recipe = tmp_path / "missing.yaml"
    assert main(["train", "--config", str(recipe)]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_recipes_in_the_repo_are_valid():
    from pathlib import Path

    recipes = sorted((Path(__file__).resolve().parents[2] / "recipes").glob("*.yaml"))
    assert {r.name for r in recipes} >= {"default-model.yaml", "catsdogs.yaml", "cifar10.yaml"}
    for recipe in recipes:
        config = build_config(recipe, {"output": "o"})
        assert config.data
