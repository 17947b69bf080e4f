"""Configuration precedence: defaults < YAML file < command-line flags."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from edgeclass.cli.main import build_parser, main
from edgeclass.trainer.config import ConfigError, TrainConfig, build_config

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


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
    recipes = sorted(RECIPES.glob("*.yaml"))
    assert {r.name for r in recipes} >= {"default-model.yaml", "catsdogs.yaml", "cifar10.yaml"}
    for recipe in recipes:
        config = build_config(recipe, {"output": "o"})
        assert config.data


def test_a_recipe_starts_from_its_base_relative_to_itself(tmp_path, monkeypatch):
    common = tmp_path / "recipes" / "common"
    common.mkdir(parents=True)
    (common / "stage1.yaml").write_text(
        "data: photos\noutput: out1\nfrom_scratch: xx-small\nepochs: 30\nrotation: 10\nseed: 7\n"
    )
    (common / "stage2.yaml").write_text("base: stage1.yaml\noutput: out2\nrotation: 5\n")
    (tmp_path / "recipes" / "stage3.yaml").write_text(
        "base: common/stage2.yaml\noutput: out3\nmodel: out2/model\nfrom_scratch: null\n"
    )
    monkeypatch.chdir(tmp_path)  # not the recipes' folder: `base` is relative to the recipe
    config = parse_train(["--config", "recipes/stage3.yaml", "--seed", "1"])
    assert config.output == "out3" and config.model == "out2/model"  # the file's own keys
    assert config.from_scratch is None  # null replaces the base's value
    assert config.rotation == 5  # from stage2, which replaced stage1's
    assert config.epochs == 30 and config.data == "photos"  # from stage1, two levels up
    assert config.seed == 1  # flags still win over the whole chain


def test_a_base_loop_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("base: b.yaml\ndata: d\noutput: o\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(ConfigError, match="inherit from each other"):
        build_config(tmp_path / "a.yaml")


def test_unknown_keys_suggest_the_close_option(tmp_path):
    recipe = tmp_path / "typo.yaml"
    recipe.write_text("data: d\noutput: o\nlearning-rat: 0.1\nwarmup: 0.1\nzzz: 1\n")
    with pytest.raises(ConfigError) as error:
        build_config(recipe)
    message = str(error.value)
    assert "'learning_rat' (did you mean 'learning_rate'?)" in message
    assert "'warmup' (did you mean 'warmup_ratio'?)" in message
    assert "'zzz'" in message and "zzz' (did" not in message
    with pytest.raises(ConfigError, match=r"'batchsize' \(did you mean 'batch_size'\?\)"):
        build_config(None, {"data": "d", "output": "o", "batchsize": 8})


def test_every_config_field_is_a_flag_with_its_help_choices_and_default():
    from dataclasses import fields

    from edgeclass.cli.train import add_config_flags
    from edgeclass.trainer.config import flag_help

    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    by_dest = {action.dest: action for action in parser._actions if action.dest != "help"}
    assert set(by_dest) == {f.name for f in fields(TrainConfig)}
    for field in fields(TrainConfig):
        action = by_dest[field.name]
        assert f"--{field.name.replace('_', '-')}" in action.option_strings
        assert action.help == flag_help(field)
        assert action.choices == field.metadata["flag"].choices
    assert "(default 32)" in by_dest["batch_size"].help  # TrainConfig.batch_size's default
    assert by_dest["learning_rate"].option_strings == ["--learning-rate", "--lr"]
    assert by_dest["hflip"].option_strings == ["--hflip", "--no-hflip"]
    assert parser.parse_args(["--patience", "3", "--no-tracking"]).early_stopping_patience == 3


def test_the_default_model_stages_inherit_and_resolve_to_their_set_up():
    stage6 = build_config(RECIPES / "default-model-stage6.yaml")
    assert (stage6.from_scratch, stage6.model) == (None, "runs/catsdogs-default-stage4/model")
    assert (stage6.image_size, stage6.train_image_size, stage6.metric) == (176, 160, "loss")
    assert (stage6.learning_rate, stage6.max_minutes, stage6.seed) == (4e-4, 95, 42)
    assert (stage6.rotation, stage6.crop_scale_min, stage6.weight_decay) == (0, 0.65, 0.02)
    distill = build_config(RECIPES / "default-model-distill.yaml")
    assert distill.teacher == "runs/teachers/efficientnet-lite0"
    assert (distill.learning_rate, distill.max_minutes, distill.image_size) == (3e-4, 110, 176)
    for stage in ("stage2", "stage3", "stage4", "stage6", "distill"):
        assert "base" in (RECIPES / f"default-model-{stage}.yaml").read_text()
