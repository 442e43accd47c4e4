"""How the steps compute: bfloat16 detection and choice, the compile fallback, optimizer kernels."""

from __future__ import annotations

import json

import pytest
import torch

from machinehearing.errors import ParameterError
from machinehearing.train import loop, precision
from machinehearing.train.config import TrainConfig
from machinehearing.train.precision import (
    autocast_enabled,
    compile_model,
    cpu_has_native_bf16,
    optimizer_kwargs,
    resolve_precision,
)


@pytest.fixture
def cpuinfo(tmp_path):
    def write(flags: str):
        path = tmp_path / f"cpuinfo-{len(flags)}"
        path.write_text(f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: {flags}\n\n")
        return path

    return write


@pytest.mark.parametrize(
    ("flags", "native"),
    [
        ("fpu sse2 avx2 avx512f avx512bw", False),  # AVX-512 without bfloat16: emulated
        ("fpu avx512f avx512_bf16", True),
        ("fpu avx512f amx_tile amx_bf16", True),
        ("", False),
    ],
)
def test_native_bf16_is_read_from_the_cpu_flags(cpuinfo, flags, native, monkeypatch):
    monkeypatch.setattr(precision.platform, "machine", lambda: "x86_64")
    assert cpu_has_native_bf16.__wrapped__(cpuinfo(flags)) is native


def test_no_cpuinfo_means_no_native_bf16(tmp_path):
    assert cpu_has_native_bf16.__wrapped__(tmp_path / "missing") is False


@pytest.mark.parametrize("native", [True, False])
def test_auto_picks_bf16_only_where_the_cpu_has_it(monkeypatch, native):
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: native)
    assert resolve_precision("auto", "cpu") == ("bfloat16" if native else "float32")
    assert resolve_precision("float32", "cpu") == "float32"
    assert resolve_precision("bfloat16", "cpu") == "bfloat16"
    assert autocast_enabled("auto", "cpu", cuda_amp=True) is native
    # an explicit request trains in bfloat16 anyway; inference stays fast and exact
    assert autocast_enabled("bfloat16", "cpu", cuda_amp=False) is True
    assert autocast_enabled("bfloat16", "cpu", cuda_amp=False, inference=True) is native
    assert autocast_enabled("auto", "meta", cuda_amp=True) is False


def test_unknown_precision_is_refused():
    with pytest.raises(ParameterError, match="precision"):
        resolve_precision("half", "cpu")
    with pytest.raises(ParameterError, match="TrainConfig.precision"):
        TrainConfig(precision="half")


def test_config_of_an_older_run_reads_cpu_amp_as_precision():
    old = {k: v for k, v in TrainConfig().to_dict().items() if k not in ("precision", "compile")}
    assert TrainConfig.from_dict({**old, "cpu_amp": True}).precision == "bfloat16"
    assert TrainConfig.from_dict({**old, "cpu_amp": False}).precision == "float32"


@pytest.mark.parametrize("native", [True, False])
def test_the_run_records_the_precision_it_chose(monkeypatch, tmp_path, native):
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: native)
    seen = []
    real = loop.train_one_epoch

    def spy(*args, **kwargs):
        seen.append(kwargs["amp"])
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "train_one_epoch", spy)
    config = TrainConfig.preset(
        "smoke",
        epochs=1,
        device="cpu",
        num_workers=0,
        synthetic={"n_classes": 3, "clips_per_class": 5, "sr": 8000, "duration": 1.0},
    )
    run = loop.train(config, tmp_path / "run", progress=False).run_dir
    saved = json.loads((run / "config.json").read_text())
    assert saved["precision"] == ("bfloat16" if native else "float32")
    assert seen == [native]
    # resuming with "auto" on the same machine is the same configuration
    assert loop.train(config, run, resume=True, progress=False).history


def test_compile_falls_back_to_eager_with_a_message(monkeypatch):
    monkeypatch.setattr(precision, "_compiler_problem", lambda device_type: "no C++ compiler")
    model = torch.nn.Linear(2, 2)
    with pytest.warns(RuntimeWarning, match="torch.compile is unavailable here.*no C.. compiler"):
        assert compile_model(model, enabled=True, device="cpu") is model
    assert model._compiled_call_impl is None  # still the eager module
    assert torch.equal(model(torch.ones(1, 2)), model.forward(torch.ones(1, 2)))


def test_a_failing_compiler_is_reported_not_raised(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("InductorError: cannot find a working C++ compiler\nmore lines")

    monkeypatch.setattr(precision.torch, "compile", broken)
    precision._compiler_problem.cache_clear()
    try:
        problem = precision._compiler_problem("cpu")
    finally:
        precision._compiler_problem.cache_clear()
    assert problem == "RuntimeError: InductorError: cannot find a working C++ compiler"


def test_optimizer_uses_a_fused_or_multi_tensor_kernel():
    kwargs = optimizer_kwargs("cpu")
    assert kwargs in ({"fused": True}, {"foreach": True})
    model = torch.nn.Linear(2, 2)
    optimizer = loop._make_optimizer(TrainConfig(), model, torch.device("cpu"))
    assert all(optimizer.defaults[k] == v for k, v in kwargs.items())


def _final_accuracies(tmp_path, precision: str, seeds=(0, 1, 2)):
    """Final validation accuracy and every loss of small synthetic runs, one per seed."""
    accuracies, losses = [], []
    for seed in seeds:
        config = TrainConfig.preset(
            "smoke",
            epochs=10,
            lr=3e-3,
            schedule="onecycle",
            device="cpu",
            num_workers=0,
            seed=seed,
            precision=precision,
            synthetic={"n_classes": 5, "clips_per_class": 20, "sr": 8000, "duration": 1.0},
        )
        result = loop.train(config, tmp_path / f"{precision}-{seed}", progress=False)
        accuracies.append(result.history[-1]["val_acc"])
        losses += [v for row in result.history for k, v in row.items() if k.endswith("loss")]
    return accuracies, losses


@pytest.mark.slow
def test_bfloat16_training_ends_where_float32_does(tmp_path):
    """precision='auto' trains in bfloat16: on 3 seeds its final accuracies stay within the
    seed-to-seed spread of float32 (one validation clip of slack), with no NaN or inf."""
    fp32, fp32_losses = _final_accuracies(tmp_path, "float32")
    bf16, bf16_losses = _final_accuracies(tmp_path, "bfloat16")
    print(f"final val accuracy, float32 {fp32}, bfloat16 {bf16}")
    assert all(torch.isfinite(torch.tensor(fp32_losses + bf16_losses)))
    clip = 1 / 20  # fold 1 holds 20 of the 100 clips
    spread = max(fp32) - min(fp32) + clip
    assert abs(sum(bf16) / 3 - sum(fp32) / 3) <= spread
    assert min(fp32) - spread <= min(bf16) and max(bf16) <= max(fp32) + spread
