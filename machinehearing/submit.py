"""Pack a trained model for submission: ``python -m machinehearing.submit RUN_DIR``.

The package is a zip file (``RUN_DIR/submission.zip`` unless ``--out`` says otherwise)
holding two files and nothing else:

``manifest.json``
    ``format`` (``"machinehearing-model"``), ``version``, the ``architecture``
    (``resnet18`` with its ``in_channels`` and ``num_classes``), the feature ``spec``
    (:func:`model_spec`: the feature images with all their parameters, the image size, the
    crop length, the sample rate, the task), the ``label_map``, the ``weights`` file name,
    its ``sha256`` and size, and where it came from (epoch, validation accuracy).
``weights.safetensors`` (or ``weights.pt``)
    The model's ``state_dict``: safetensors when the ``safetensors`` package is installed,
    else ``torch.save`` of the plain tensors, loadable with ``torch.load(weights_only=True)``.
    Neither can carry code.

The grader reads the manifest and the weights' header without loading any tensor, then
loads the weights in its sandbox and evaluates them on clips the class never had.
A package larger than ``--limit-mb`` (default 100 MB; ResNet-18 is 45 MB) is refused here
already.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._io import atomic_path
from ._version import __version__
from .errors import DataError, ParameterError

__all__ = ["FORMAT", "DEFAULT_LIMIT_BYTES", "model_spec", "write_package", "pack", "main"]

#: the ``format`` field of every manifest
FORMAT = "machinehearing-model"
#: largest package accepted by default (bytes)
DEFAULT_LIMIT_BYTES = 100 * 1000**2
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same run gives the same bytes


def model_spec(config: Any) -> dict[str, Any]:
    """What a model's input means: the feature images, their size, the audio, the task.

    Two models are fed the same way exactly when their specs are equal: every feature is
    given with all its parameters (defaults included), so ``"logmel"`` and
    ``"logmel:n_mels=128"`` compare equal.

    Parameters
    ----------
    config : TrainConfig or mapping
        A :class:`~machinehearing.train.TrainConfig` or its ``to_dict()``.

    Examples
    --------
    >>> from machinehearing.train import TrainConfig
    >>> a = model_spec(TrainConfig.preset("course"))
    >>> b = model_spec(TrainConfig.preset("course", features=["logmel:n_mels=128"]))
    >>> a == b, a["size"], a["features"][0]["name"]
    (True, [128, 128], 'logmel')
    """
    from .features.images import FeatureSpec

    data = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    features = []
    for text in data["features"]:
        spec = FeatureSpec.parse(text) if isinstance(text, str) else FeatureSpec.from_dict(text)
        features.append({"name": spec.name, "params": dict(sorted(spec.resolved().items()))})
    return {
        "features": features,
        "size": [int(s) for s in data["size"]],
        "seconds": data.get("seconds"),
        "sr": data.get("sr"),
        "task": data["task"],
    }


def _weights_bytes(state: Mapping[str, Any], weights_format: str | None) -> tuple[str, bytes]:
    """The file name and bytes of a state_dict: safetensors, or torch.save of plain tensors."""
    import torch

    if weights_format is None:
        weights_format = "safetensors" if importlib.util.find_spec("safetensors") else "pt"
    if weights_format not in ("safetensors", "pt"):
        raise ParameterError(
            f"weights_format must be 'safetensors' or 'pt', got {weights_format!r}"
        )
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    if weights_format == "pt":
        buf = io.BytesIO()
        torch.save(tensors, buf)
        return "weights.pt", buf.getvalue()
    try:
        from safetensors.torch import save
    except ImportError:
        raise ParameterError("weights_format='safetensors' needs the safetensors package") from None
    return "weights.safetensors", save(tensors)


def write_package(
    out: str | Path,
    state: Mapping[str, Any],
    config: Any,
    label_map: Any,
    *,
    source: Mapping[str, Any] | None = None,
    limit_bytes: int = DEFAULT_LIMIT_BYTES,
    weights_format: str | None = None,
) -> Path:
    """Write a submission zip of a ResNet-18 ``state_dict``; returns ``out``.

    Parameters
    ----------
    out : path
        The zip to write (atomically).
    state : mapping of str to Tensor
        The model's ``state_dict``.
    config : TrainConfig or mapping
        The training configuration (its feature spec goes into the manifest).
    label_map : LabelMap
        The model's labels.
    source : mapping, optional
        Provenance recorded in the manifest (checkpoint, epoch, validation accuracy).
    limit_bytes : int
        Refuse to write a larger package.
    weights_format : {"safetensors", "pt"}, optional
        Default: safetensors when installed.

    Raises
    ------
    DataError
        The package would exceed ``limit_bytes``.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from machinehearing.datasets import LabelMap
    >>> from machinehearing.models import resnet18
    >>> from machinehearing.train import TrainConfig
    >>> path = write_package(tempfile.mkdtemp() + "/model.zip",
    ...     resnet18(num_classes=5).state_dict(), TrainConfig.preset("course", task="categories"),
    ...     LabelMap.for_task("categories"), weights_format="pt")
    >>> manifest = json.loads(zipfile.ZipFile(path).read("manifest.json"))
    >>> manifest["architecture"], manifest["weights"]
    ({'in_channels': 1, 'name': 'resnet18', 'num_classes': 5}, 'weights.pt')
    """
    name, data = _weights_bytes(state, weights_format)
    manifest = {
        "format": FORMAT,
        "version": 1,
        "machinehearing": __version__,
        "architecture": {
            "name": "resnet18",
            "in_channels": int(state["conv1.weight"].shape[1]),
            "num_classes": int(state["fc.weight"].shape[0]),
        },
        "spec": model_spec(config),
        "label_map": json.loads(label_map.to_json()),
        "weights": name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "weights_bytes": len(data),
        "source": dict(source or {}),
    }
    text = json.dumps(manifest, indent=1, sort_keys=True).encode()
    if len(data) + len(text) > limit_bytes:
        raise DataError(
            f"the package would be {(len(data) + len(text)) / 1e6:.1f} MB; the "
            f"limit is {limit_bytes / 1e6:.1f} MB"
        )
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for member, payload in (("manifest.json", text), (name, data)):
            zf.writestr(zipfile.ZipInfo(member, date_time=_EPOCH), payload)
    return Path(out)


def pack(
    run_dir: str | Path,
    out: str | Path | None = None,
    *,
    checkpoint: str = "best",
    limit_bytes: int = DEFAULT_LIMIT_BYTES,
    weights_format: str | None = None,
) -> Path:
    """Pack the model of a run directory (:func:`write_package`); returns the zip's path.

    Parameters
    ----------
    run_dir : path
        A run directory of :func:`machinehearing.train.train`.
    out : path, optional
        The zip to write; default ``run_dir/submission.zip``.
    checkpoint : {"best", "last"}
        Which checkpoint of the run.
    limit_bytes, weights_format
        As in :func:`write_package`.

    Raises
    ------
    DataError
        ``run_dir`` is not a run, or the package would exceed ``limit_bytes``.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from machinehearing.train import TrainConfig, train
    >>> config = TrainConfig.preset("demo", epochs=1, size=(32, 32), seconds=1.0,
    ...     synthetic={"n_classes": 5, "clips_per_class": 5, "sr": 8000, "duration": 1.0})
    >>> run = train(config, tempfile.mkdtemp() + "/run", progress=False).run_dir
    >>> sorted(zipfile.ZipFile(pack(run)).namelist())
    ['manifest.json', 'weights.safetensors']
    """
    from .train import load_model

    run_dir = Path(run_dir)
    model, config, label_map = load_model(run_dir, checkpoint=checkpoint)
    result_path = run_dir / "result.json"
    result = json.loads(result_path.read_text()) if result_path.is_file() else {}
    source = {"checkpoint": checkpoint}
    source.update({k: result[k] for k in ("best_epoch", "best_val_acc") if k in result})
    return write_package(
        out if out is not None else run_dir / "submission.zip",
        model.state_dict(),
        config,
        label_map,
        source=source,
        limit_bytes=limit_bytes,
        weights_format=weights_format,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m machinehearing.submit RUN_DIR [--out FILE] [--checkpoint last]``."""
    parser = argparse.ArgumentParser(
        prog="python -m machinehearing.submit", description="Pack a trained model for submission."
    )
    parser.add_argument("run_dir", help="the run directory of 'machinehearing train'")
    parser.add_argument("--out", default=None, help="zip to write (default RUN_DIR/submission.zip)")
    parser.add_argument("--checkpoint", default="best", choices=("best", "last"))
    parser.add_argument(
        "--limit-mb",
        type=float,
        default=DEFAULT_LIMIT_BYTES / 1e6,
        help="largest package in MB (default 100)",
    )
    args = parser.parse_args(argv)
    try:
        path = pack(
            args.run_dir, args.out, checkpoint=args.checkpoint, limit_bytes=int(args.limit_mb * 1e6)
        )
    except (DataError, ParameterError, OSError) as exc:
        print(f"machinehearing.submit: error: {exc}", file=sys.stderr)
        return 2
    print(f"packed {path} ({path.stat().st_size / 1e6:.1f} MB): submit this file")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
