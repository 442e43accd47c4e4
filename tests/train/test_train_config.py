"""TrainConfig: validation naming the field, JSON/TOML round trips, presets."""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import typing

import pytest

from machinehearing.errors import ParameterError
from machinehearing.train.config import PRESETS, TrainConfig

CUSTOM = TrainConfig(
    data_root="/data/ESC-50",
    features=["logmel", "mfcc:n_mfcc=40", "chroma"],
    task="categories",
    split="fold",
    test_fold=3,
    val_fold=2,
    size=(64, 96),
    seconds=2.5,
    sr=22050,
    optimizer="sgd",
    schedule="multistep",
    milestones=[5, 8],
    label_smoothing=0.1,
    freq_mask=8,
    time_mask=12,
    mixup_alpha=0.4,
    time_shift=0.1,
    seed=7,
    device="cpu",
    amp=False,
    num_workers=2,
    patience=3,
    loggers=["tensorboard"],
    pretrained="weights/resnet18.pth",
    synthetic={"n_classes": 5, "clips_per_class": 4},
)

CONFIGS = [TrainConfig(), CUSTOM, TrainConfig.preset("course"), TrainConfig.preset("demo")]


@pytest.mark.parametrize("config", CONFIGS)
def test_json_round_trip(config, tmp_path):
    assert TrainConfig.from_json(config.to_json()) == config
    path = tmp_path / "config.json"
    config.to_json(path)
    assert TrainConfig.from_json(path) == config
    assert TrainConfig.from_file(path) == config
    assert json.loads(path.read_text())["size"] == list(config.size)


@pytest.mark.parametrize("config", CONFIGS)
def test_toml_round_trip(config, tmp_path):
    text = config.to_toml()
    assert TrainConfig.from_toml(text) == config
    path = tmp_path / "config.toml"
    config.to_toml(path)
    assert TrainConfig.from_toml(path) == config
    assert TrainConfig.from_file(str(path)) == config


def test_toml_file_written_by_hand(tmp_path):
    path = tmp_path / "cfg.toml"
    path.write_text(
        'features = ["logmel", "mfcc", "chroma"]\nepochs = 3\nsize = [64, 64]\nseconds = 3\n'
    )
    config = TrainConfig.from_toml(path)
    assert config.features == ["logmel", "mfcc", "chroma"]
    assert (config.epochs, config.size, config.seconds) == (3, (64, 64), 3.0)


def test_optional_fields_default_to_none_so_toml_can_omit_them():
    # TOML has no null: to_toml leaves None out, which is only lossless if None is the default
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        if type(None) in typing.get_args(hints[f.name]):
            assert f.default is None, f.name


def test_every_field_has_help_text_for_the_command_line():
    for f in dataclasses.fields(TrainConfig):
        assert len(f.metadata.get("help", "")) > 15, f.name
        assert f"{f.name} : default" in TrainConfig.__doc__


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("features", []),
        ("features", [""]),
        ("task", "species"),
        ("split", "random"),
        ("test_fold", 0),
        ("test_fold", 6),
        ("val_fold", 7),
        ("size", (31, 64)),
        ("size", (64,)),
        ("size", "big"),
        ("seconds", 0),
        ("sr", -1),
        ("epochs", 0),
        ("epochs", 2.5),
        ("batch_size", True),
        ("optimizer", "adam"),
        ("lr", 0.0),
        ("lr", float("nan")),
        ("weight_decay", -0.1),
        ("momentum", 1.5),
        ("schedule", "linear"),
        ("milestones", [0]),
        ("label_smoothing", 1.0),
        ("freq_mask", -1),
        ("n_masks", -2),
        ("mixup_alpha", -0.5),
        ("time_shift", 2.0),
        ("seed", -1),
        ("device", "tpu"),
        ("amp", "yes"),
        ("precision", "half"),
        ("compile", 1),
        ("channels_last", 1),
        ("num_workers", -1),
        ("patience", 0),
        ("loggers", ["mlflow"]),
        ("feature_dtype", "int8"),
        ("pretrained", ""),
        ("synthetic", {"classes": 3}),
    ],
)
def test_invalid_values_raise_parameter_error_naming_the_field(field, value):
    with pytest.raises(ParameterError, match=rf"TrainConfig\.{field} must be"):
        TrainConfig(**{field: value})


def test_replace_validates_again():
    with pytest.raises(ParameterError, match="TrainConfig.batch_size"):
        dataclasses.replace(TrainConfig(), batch_size=0)


def test_normalisation_of_convenient_inputs():
    config = TrainConfig(
        features="logmel, mfcc,chroma",
        size=64,
        loggers="tensorboard",
        seconds=3,
        lr=1,
        data_root=pathlib.Path("/x"),
    )
    assert config.features == ["logmel", "mfcc", "chroma"]
    assert config.size == (64, 64)
    assert config.loggers == ["tensorboard"]
    assert isinstance(config.seconds, float) and isinstance(config.lr, float)
    assert config.data_root == "/x"


def test_unknown_keys_are_rejected_with_the_valid_names():
    with pytest.raises(ParameterError, match=r"unknown TrainConfig field\(s\) \['epoch'\]"):
        TrainConfig.from_dict({"epoch": 3})
    with pytest.raises(ParameterError, match="valid fields"):
        TrainConfig.from_toml("learning_rate = 0.1\n")


def test_invalid_text_and_missing_files_raise_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="JSON"):
        TrainConfig.from_json("{not json")
    with pytest.raises(ParameterError, match="TOML"):
        TrainConfig.from_toml("epochs = = 3")
    with pytest.raises(ParameterError, match="no such file"):
        TrainConfig.from_toml(tmp_path / "missing.toml")
    with pytest.raises(ParameterError, match=r"\.toml or \.json"):
        TrainConfig.from_file(tmp_path / "cfg.yaml")


def test_course_preset_is_the_course_protocol():
    config = TrainConfig.preset("course")
    assert config.seconds == 3.0 and config.size == (128, 128)
    assert config.batch_size == 32 and config.epochs == 50
    assert config.optimizer == "adamw" and config.schedule == "cosine"
    assert config.freq_mask > 0 and config.time_mask > 0 and config.mixup_alpha > 0


def test_demo_preset_is_small_and_overridable():
    config = TrainConfig.preset("demo", epochs=2)
    assert config.epochs == 2
    assert config.size[0] * config.size[1] < 128 * 128
    assert config.epochs < PRESETS["course"]["epochs"]


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ParameterError, match="course"):
        TrainConfig.preset("fast")


# ------------------------------------------------------------------- command line (train)
def _parse(*argv):
    from machinehearing.cli import build_parser

    return build_parser("train").parse_args(["train", "--run-dir", "runs/x", *argv])


def test_every_config_field_has_a_command_line_flag_with_help():
    from machinehearing.cli import build_parser

    parser = build_parser("train")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = sub.choices["train"]
    by_dest = {a.dest: a for a in sub._actions}
    for f in dataclasses.fields(TrainConfig):
        action = by_dest[f.name]
        assert action.option_strings[0] == "--" + f.name.replace("_", "-")
        assert f.metadata["help"] in action.help


def test_flags_override_config_file_which_overrides_preset(tmp_path):
    from machinehearing.commands.train import config_from_args

    path = tmp_path / "cfg.toml"
    path.write_text('epochs = 7\nlr = 0.01\nfeatures = ["mfcc"]\n')
    args = _parse(
        "--preset",
        "course",
        "--config",
        str(path),
        "--lr",
        "0.5",
        "--fold",
        "3",
        "--data",
        "ESC-50",
        "--size",
        "64",
        "96",
        "--no-amp",
        "--patience",
        "none",
        "--features",
        "logmel,chroma",
        "--synthetic",
        "n_classes=5",
    )
    config = config_from_args(args)
    assert config.epochs == 7  # file over preset
    assert config.lr == 0.5 and config.test_fold == 3  # flags over file
    assert config.features == ["logmel", "chroma"]
    assert config.seconds == 3.0 and config.batch_size == 32  # preset
    assert config.data_root == "ESC-50" and config.size == (64, 96)
    assert config.amp is False and config.patience is None
    assert config.synthetic["n_classes"] == 5 and "sr" in config.synthetic


def test_print_config_outputs_loadable_toml(capsys):
    from machinehearing.cli import main

    assert (
        main(
            ["train", "--run-dir", "x", "--epochs", "4", "--pretrained", "w.pth", "--print-config"]
        )
        == 0
    )
    config = TrainConfig.from_toml(capsys.readouterr().out)
    assert config.epochs == 4 and config.pretrained == "w.pth"


def test_invalid_flag_value_is_a_clean_cli_error(capsys):
    from machinehearing.cli import main

    assert main(["train", "--run-dir", "x", "--lr", "-1", "--print-config"]) == 2
    assert "TrainConfig.lr must be a positive number" in capsys.readouterr().err
    assert main(["crossval", "--run-dir", "x", "--folds", "1,x"]) == 2


def test_smoke_preset_is_the_course_protocol_shrunk():
    course, smoke = TrainConfig.preset("course"), TrainConfig.preset("smoke")
    changed = {"epochs": 2, "size": (32, 32), "seconds": 1.0, "batch_size": 16}
    assert {k: getattr(smoke, k) for k in changed} == changed
    assert dataclasses.replace(smoke, **{k: getattr(course, k) for k in changed}) == course
