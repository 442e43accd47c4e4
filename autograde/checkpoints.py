"""The trained-model assignment: check a submitted package, evaluate it, score it.

Students pack their model with ``python -m machinehearing.submit RUN_DIR``
(:mod:`machinehearing.submit`). Grading a package is three steps, each its own function:

1. :func:`validate_package`, in the grader's process, reads bytes and never a tensor:
   the file's size against the limit, the zip's member names, flags and declared sizes
   (no path outside the package, no link, no bomb), the manifest (bounded JSON) against the
   assignment's architecture, feature spec and label map, the weights' sha256, and the
   weights' header: a safetensors header's names, dtypes, shapes and offsets, or the
   opcodes of a ``torch.save`` pickle, which may import nothing but tensor rebuilders.
2. :func:`evaluate_package` runs **inside the sandbox** (``python -m autograde.checkpoints
   evaluate PACKAGE IMAGES.npy ...`` prints its result as one JSON line): it loads the
   weights (safetensors, or ``torch.load(weights_only=True)``), checks the names, shapes
   and finiteness, and predicts the held-out images in batches under a time limit. It
   returns plain numbers; the labels never reach it.
3. :func:`score_predictions`, in the grader: accuracy, its bootstrap confidence interval
   (:func:`machinehearing.stats.bootstrap_ci`), the points of every declared
   :class:`Threshold` reached, and Gradescope ``leaderboard`` entries.

:func:`grade_package` chains them, the middle step through a caller-given runner.
Every refusal is a :class:`Verdict` with a status and a message that says what to do, and
earns 0 points.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import pickletools
import stat
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from machinehearing.submit import DEFAULT_LIMIT_BYTES, FORMAT

__all__ = [
    "Threshold",
    "ModelAssignment",
    "Verdict",
    "ModelGrade",
    "expected_shapes",
    "validate_package",
    "evaluate_package",
    "score_predictions",
    "leaderboard",
    "grade_package",
    "main",
]

#: the members a package may hold
_MEMBERS = {"manifest.json", "weights.safetensors", "weights.pt"}
_MAX_MANIFEST_BYTES = 64 << 10
_MAX_HEADER_BYTES = 16 << 20
_MAX_PICKLE_BYTES = 16 << 20
#: safetensors dtypes a state_dict of ours may use, with their sizes in bytes
_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8}
#: what a torch.save'd state_dict pickle may import (torch's own rebuilders and storages)
_PICKLE_GLOBALS = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch", "FloatStorage"),
    ("torch", "HalfStorage"),
    ("torch", "BFloat16Storage"),
    ("torch", "DoubleStorage"),
    ("torch", "LongStorage"),
}


@dataclass(frozen=True)
class Threshold:
    """``points`` earned when the held-out accuracy reaches ``accuracy``."""

    name: str
    accuracy: float
    points: float


@dataclass(frozen=True)
class ModelAssignment:
    """What the assignment takes: a ResNet-18 for a feature spec, and how it is scored.

    Parameters
    ----------
    spec : dict
        :func:`machinehearing.submit.model_spec` of the assignment's configuration.
    num_classes : int
        Outputs of the model (the task's label map).
    thresholds : sequence of Threshold
        Points per accuracy reached (they add up).
    max_bytes : int
        Largest package accepted.
    batch_size : int
        Images per inference batch in the sandbox.
    time_limit : float
        Seconds allowed for the whole inference.
    """

    spec: dict
    num_classes: int
    thresholds: tuple[Threshold, ...] = ()
    max_bytes: int = DEFAULT_LIMIT_BYTES
    batch_size: int = 64
    time_limit: float = 600.0

    @property
    def in_channels(self) -> int:
        """Input channels: one per feature image."""
        return len(self.spec["features"])

    @property
    def points(self) -> float:
        """Points available."""
        return float(sum(t.points for t in self.thresholds))

    @classmethod
    def from_config(
        cls, config: Any, thresholds: Sequence[Threshold] = (), **kwargs: Any
    ) -> ModelAssignment:
        """The assignment of a :class:`~machinehearing.train.TrainConfig`.

        Examples
        --------
        >>> from machinehearing.train import TrainConfig
        >>> a = ModelAssignment.from_config(TrainConfig.preset("course", task="categories"),
        ...                                 [Threshold("beats the linear baseline", 0.4, 2)])
        >>> a.in_channels, a.num_classes, a.points
        (1, 5, 2.0)
        """
        from machinehearing.datasets import LabelMap
        from machinehearing.submit import model_spec

        spec = model_spec(config)
        return cls(spec, len(LabelMap.for_task(spec["task"])), tuple(thresholds), **kwargs)


@dataclass(frozen=True)
class Verdict:
    """Why a package was refused (``status``), or ``"ok"``; ``message`` says what to do."""

    status: str
    message: str

    @property
    def ok(self) -> bool:
        """True when the package passed."""
        return self.status == "ok"


@dataclass
class ModelGrade:
    """The grade of one package: points, accuracy, its interval, the feedback, leaderboard."""

    points: float
    max_points: float
    status: str
    message: str
    accuracy: float | None = None
    ci: tuple[float, float] | None = None
    n: int = 0
    leaderboard: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-able dict."""
        return {
            "points": self.points,
            "max_points": self.max_points,
            "status": self.status,
            "message": self.message,
            "accuracy": self.accuracy,
            "ci": list(self.ci) if self.ci else None,
            "n": self.n,
            "leaderboard": self.leaderboard,
        }


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def expected_shapes(in_channels: int, num_classes: int) -> dict[str, tuple[int, ...]]:
    """Parameter name -> shape of our ResNet-18's ``state_dict`` (built without memory).

    Examples
    --------
    >>> shapes = expected_shapes(1, 5)
    >>> shapes["conv1.weight"], shapes["fc.weight"], len(shapes)
    ((64, 1, 7, 7), (5, 512), 122)
    """
    import torch

    from machinehearing.models import resnet18

    with torch.device("meta"):
        model = resnet18(in_channels=in_channels, num_classes=num_classes)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def _shape_problems(found: dict[str, tuple[int, ...]], expected: dict[str, tuple[int, ...]]) -> str:
    missing = sorted(expected.keys() - found.keys())
    extra = sorted(found.keys() - expected.keys())
    wrong = [
        f"{k} is {list(found[k])}, not {list(expected[k])}"
        for k in expected
        if k in found and found[k] != expected[k]
    ]
    problems = (
        [f"missing {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else "")]
        if missing
        else []
    )
    problems += (
        [f"unexpected {', '.join(extra[:3])}" + (" ..." if len(extra) > 3 else "")] if extra else []
    )
    problems += wrong[:3]
    return "; ".join(problems)


def _check_manifest(manifest: Any, assignment: ModelAssignment) -> Verdict:
    from machinehearing.datasets import LabelMap

    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return Verdict(
            "bad manifest",
            f"manifest.json is not a {FORMAT} manifest: pack the "
            "model with python -m machinehearing.submit RUN_DIR",
        )
    arch = manifest.get("architecture")
    want = {
        "name": "resnet18",
        "in_channels": assignment.in_channels,
        "num_classes": assignment.num_classes,
    }
    if arch != want:
        return Verdict(
            "architecture",
            f"this assignment takes resnet18 with "
            f"{assignment.in_channels} input channel(s) and "
            f"{assignment.num_classes} classes; the package declares {arch!r}",
        )
    spec = manifest.get("spec")
    if spec != assignment.spec:
        if not isinstance(spec, dict):
            spec = {}
        diff = [
            f"{k}: {spec.get(k)!r} instead of {v!r}"
            for k, v in assignment.spec.items()
            if spec.get(k) != v
        ]
        return Verdict(
            "feature spec",
            "the model was trained on other inputs than this "
            f"assignment's: {'; '.join(diff) or spec!r}; train with the "
            "assignment's configuration",
        )
    labels = json.loads(LabelMap.for_task(assignment.spec["task"]).to_json())
    if manifest.get("label_map") != labels:
        return Verdict(
            "label map",
            f"the package's label map is not the {labels['task']} "
            "task's: train with the assignment's task",
        )
    if manifest.get("weights") not in ("weights.safetensors", "weights.pt"):
        return Verdict("bad manifest", "manifest.json names no weights file")
    return Verdict("ok", "")


def _check_safetensors(data: bytes, expected: dict[str, tuple[int, ...]]) -> Verdict:
    if len(data) < 8:
        return Verdict("bad weights", "weights.safetensors is truncated")
    size = int.from_bytes(data[:8], "little")
    if size > min(_MAX_HEADER_BYTES, len(data) - 8):
        return Verdict("bad weights", "weights.safetensors has an impossible header size")
    try:
        header = json.loads(data[8 : 8 + size])
    except (ValueError, RecursionError):
        return Verdict("bad weights", "weights.safetensors has no valid JSON header")
    body = len(data) - 8 - size
    found: dict[str, tuple[int, ...]] = {}
    for name, info in header.items() if isinstance(header, dict) else ():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (start, end) = info["dtype"], info["shape"], info["data_offsets"]
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            ok = (
                dtype in _DTYPES
                and all(isinstance(s, int) and s >= 0 for s in shape)
                and 0 <= start <= end <= body
                and end - start == count * _DTYPES[dtype]
            )
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            return Verdict(
                "bad weights",
                f"weights.safetensors: tensor {name!r} has an "
                "invalid entry (dtype, shape or offsets)",
            )
        found[name] = tuple(shape)
    problems = _shape_problems(found, expected)
    if problems:
        return Verdict(
            "wrong shapes", f"the weights do not fit the assignment's ResNet-18: {problems}"
        )
    return Verdict("ok", "")


def _pickle_globals(data: bytes) -> list[tuple[str, str]]:
    """Every (module, name) a pickle imports, read from its opcodes without running it."""
    found, strings, memo = [], [], {}
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            module, _, name = str(arg).partition(" ")
            found.append((module, name))
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            strings.append(arg)
        elif op.name in ("BINPUT", "LONG_BINPUT", "PUT") and strings:
            memo[arg] = strings[-1]
        elif op.name == "MEMOIZE" and strings:
            memo[len(memo)] = strings[-1]
        elif op.name in ("BINGET", "LONG_BINGET", "GET") and arg in memo:
            strings.append(memo[arg])
        elif op.name == "STACK_GLOBAL":
            found.append(tuple(strings[-2:]) if len(strings) >= 2 else ("?", "?"))
    return found


def _check_pickle(data: bytes) -> Verdict:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        pkl = [i for i in archive.infolist() if i.filename.endswith("/data.pkl")]
        if len(pkl) != 1 or pkl[0].file_size > _MAX_PICKLE_BYTES:
            return Verdict("bad weights", "weights.pt is not a torch.save file of a state_dict")
        imports = _pickle_globals(archive.read(pkl[0]))
    except (zipfile.BadZipFile, ValueError, EOFError, KeyError):
        return Verdict("bad weights", "weights.pt is not a torch.save file (zip format)")
    bad = sorted({f"{m}.{n}" for m, n in imports if (m, n) not in _PICKLE_GLOBALS})
    if bad:
        return Verdict(
            "pickle code",
            f"weights.pt imports {', '.join(bad[:3])}: a pickle "
            "that can run code is refused; save only the state_dict's tensors (python "
            "-m machinehearing.submit does)",
        )
    return Verdict("ok", "")


def validate_package(path: str | os.PathLike, assignment: ModelAssignment) -> Verdict:
    """Check a submitted package without loading any tensor (step 1 of the module docstring).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from machinehearing.train import TrainConfig
    >>> a = ModelAssignment.from_config(TrainConfig.preset("course"))
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "model.zip"
    >>> _ = p.write_bytes(b"not a zip")
    >>> validate_package(p, a).status
    'not a package'
    """
    path = Path(path)
    try:
        info = path.lstat()
    except OSError:
        return Verdict(
            "missing",
            f"no package {path.name}: submit the zip that python -m "
            "machinehearing.submit RUN_DIR writes",
        )
    if not stat.S_ISREG(info.st_mode):
        return Verdict("not a package", f"{path.name} is not a regular file")
    if info.st_size > assignment.max_bytes:
        return Verdict(
            "too large",
            f"{path.name} is {_mb(info.st_size)}; the limit is "
            f"{_mb(assignment.max_bytes)} (a ResNet-18 package is about 45 MB)",
        )
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return Verdict(
            "not a package",
            f"{path.name} is not a zip file: pack the model with "
            "python -m machinehearing.submit RUN_DIR",
        )
    with zf:
        members = zf.infolist()
        names = [m.filename for m in members]
        unsafe = [n for n in names if n not in _MEMBERS]
        if unsafe or len(set(names)) != len(names):
            return Verdict(
                "unsafe package",
                f"{path.name} may hold only "
                f"{', '.join(sorted(_MEMBERS))}, once each; it holds "
                f"{', '.join(map(repr, names[:5]))}",
            )
        for m in members:
            if m.flag_bits & 0x1 or stat.S_ISLNK(m.external_attr >> 16):
                return Verdict("unsafe package", f"{m.filename} is encrypted or a link")
        if sum(m.file_size for m in members) > assignment.max_bytes:
            return Verdict(
                "too large",
                f"{path.name} unpacks to "
                f"{_mb(sum(m.file_size for m in members))}; the limit is "
                f"{_mb(assignment.max_bytes)}",
            )
        if "manifest.json" not in names:
            return Verdict("bad manifest", f"{path.name} has no manifest.json")
        manifest_info = zf.getinfo("manifest.json")
        if manifest_info.file_size > _MAX_MANIFEST_BYTES:
            return Verdict("bad manifest", "manifest.json is larger than 64 KiB")
        try:
            manifest = json.loads(zf.read(manifest_info))
        except (ValueError, RecursionError, zipfile.BadZipFile):
            return Verdict("bad manifest", "manifest.json is not valid JSON")
        verdict = _check_manifest(manifest, assignment)
        if not verdict.ok:
            return verdict
        weights = manifest["weights"]
        if weights not in names:
            return Verdict("bad manifest", f"manifest.json names {weights}, which is missing")
        try:
            data = zf.read(weights)
        except (zipfile.BadZipFile, OSError):  # includes a CRC mismatch
            return Verdict("bad weights", f"{weights} is corrupt")
    if hashlib.sha256(data).hexdigest() != manifest.get("sha256"):
        return Verdict(
            "bad weights", f"{weights} does not match the sha256 of manifest.json: pack it again"
        )
    if weights == "weights.pt":
        return _check_pickle(data)
    return _check_safetensors(data, expected_shapes(assignment.in_channels, assignment.num_classes))


# ------------------------------------------------------------------ inside the sandbox
def _load_weights(data: bytes, name: str) -> dict:
    import torch

    if name == "weights.safetensors":
        from safetensors.torch import load

        return load(data)
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def evaluate_package(
    path: str | os.PathLike,
    images: np.ndarray,
    *,
    in_channels: int,
    num_classes: int,
    batch_size: int = 64,
    device: str = "cpu",
    time_limit: float = 600.0,
) -> dict:
    """Load a package's weights and predict ``images``; meant to run inside the sandbox.

    Parameters
    ----------
    path : path
        The package (already checked by :func:`validate_package`).
    images : np.ndarray, shape (n, in_channels, height, width)
        The held-out feature images.
    in_channels, num_classes : int
        The assignment's architecture.

    Returns
    -------
    dict
        ``{"status": "ok", "predictions": [...], "seconds": s}``, or ``{"status": ...,
        "message": ...}`` for weights that do not load, do not fit, are not finite, or a
        prediction that overran ``time_limit``.
    """
    import torch

    from machinehearing.models import resnet18

    started = time.perf_counter()
    with zipfile.ZipFile(path) as zf:
        name = json.loads(zf.read("manifest.json"))["weights"]
        data = zf.read(name)
    try:
        state = _load_weights(data, name)
    except Exception as exc:  # any failure to decode is the package's fault
        return {
            "status": "bad weights",
            "message": f"{name} does not load as plain tensors "
            f"({type(exc).__name__}: {str(exc)[:200]})",
        }
    if not (
        isinstance(state, dict)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())
    ):
        return {"status": "bad weights", "message": f"{name} is not a state_dict of tensors"}
    found = {k: tuple(v.shape) for k, v in state.items()}
    problems = _shape_problems(found, expected_shapes(in_channels, num_classes))
    if problems:
        return {
            "status": "wrong shapes",
            "message": f"the weights do not fit the assignment's ResNet-18: {problems}",
        }
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        return {
            "status": "nan",
            "message": f"{len(bad)} weight tensor(s) hold NaN or "
            f"infinite values, e.g. {bad[0]}: the training diverged; submit an earlier "
            "checkpoint",
        }
    model = resnet18(in_channels=in_channels, num_classes=num_classes)
    model.load_state_dict({k: v.to(model.state_dict()[k].dtype) for k, v in state.items()})
    model.to(device).eval()
    predictions: list[int] = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            if time.perf_counter() - started > time_limit:
                return {
                    "status": "timeout",
                    "message": f"inference took longer than {time_limit:g} s",
                }
            batch = torch.from_numpy(
                np.ascontiguousarray(images[start : start + batch_size], dtype=np.float32)
            ).to(device)
            predictions += model(batch).argmax(dim=1).cpu().tolist()
    return {
        "status": "ok",
        "predictions": predictions,
        "seconds": round(time.perf_counter() - started, 3),
    }


# ---------------------------------------------------------------------- in the grader
def leaderboard(accuracy: float, ci: tuple[float, float] | None = None) -> list[dict]:
    """Gradescope ``leaderboard`` entries (``name``, ``value``, ``order``) of an accuracy.

    Examples
    --------
    >>> for entry in leaderboard(0.8125, (0.77, 0.85)):
    ...     print(entry)
    {'name': 'Accuracy', 'value': 0.8125, 'order': 'desc'}
    {'name': 'Accuracy (95% CI low)', 'value': 0.77, 'order': 'desc'}
    """
    entries = [{"name": "Accuracy", "value": round(accuracy, 4), "order": "desc"}]
    if ci is not None:
        entries.append({"name": "Accuracy (95% CI low)", "value": round(ci[0], 4), "order": "desc"})
    return entries


def score_predictions(
    predictions: Sequence[int], labels: Sequence[int], assignment: ModelAssignment
) -> ModelGrade:
    """Accuracy, its 95 % bootstrap interval and the points of the thresholds reached.

    Examples
    --------
    >>> a = ModelAssignment({"features": [{}], "task": "categories"}, 5,
    ...     (Threshold("beats the linear baseline", 0.4, 2), Threshold("reaches 75 %", 0.75, 3)))
    >>> g = score_predictions([0, 1, 2, 3, 4] * 20, [0, 1, 2, 3, 0] * 20, a)
    >>> g.points, g.accuracy, g.message.splitlines()[2]
    (5.0, 0.8, 'reaches 75 % (0.75): +3 points')
    """
    from machinehearing.stats import bootstrap_ci

    y_pred, y_true = np.asarray(predictions), np.asarray(labels)
    if y_pred.shape != y_true.shape or y_true.ndim != 1 or not len(y_true):
        return ModelGrade(
            0.0,
            assignment.points,
            "error",
            f"{len(y_pred)} predictions for {len(y_true)} held-out clips",
        )
    accuracy = float(np.mean(y_pred == y_true))
    ci = bootstrap_ci(y_true, y_pred)
    points, lines = 0.0, []
    for t in sorted(assignment.thresholds, key=lambda t: t.accuracy):
        if accuracy >= t.accuracy:
            points += t.points
            lines.append(f"{t.name} ({t.accuracy:.2f}): +{t.points:g} points")
        else:
            lines.append(f"{t.name} ({t.accuracy:.2f}): not reached")
    head = (
        f"accuracy {accuracy:.3f} (95% CI {ci[0]:.3f}-{ci[1]:.3f}) on {len(y_true)} held-out clips"
    )
    return ModelGrade(
        points,
        assignment.points,
        "passed" if points >= assignment.points else "partial" if points else "failed",
        "\n".join([head, *lines]),
        accuracy,
        ci,
        len(y_true),
        leaderboard(accuracy, ci),
    )


def grade_package(
    path: str | os.PathLike,
    images: np.ndarray,
    labels: Sequence[int],
    assignment: ModelAssignment,
    evaluate: Callable[[Path, np.ndarray], dict],
) -> ModelGrade:
    """Validate, evaluate through ``evaluate(path, images)`` (the sandbox), and score.

    ``evaluate`` runs :func:`evaluate_package` out of the grader's process and returns its
    dict. A refused package earns 0 points with its verdict as the message.
    """
    refused = [{"name": "Accuracy", "value": 0.0, "order": "desc"}]
    verdict = validate_package(path, assignment)
    if not verdict.ok:
        return ModelGrade(
            0.0, assignment.points, verdict.status, verdict.message, leaderboard=refused
        )
    result = evaluate(Path(path), images)
    if result.get("status") != "ok":
        return ModelGrade(
            0.0,
            assignment.points,
            str(result.get("status", "error")),
            str(result.get("message", "the evaluation failed")),
            leaderboard=refused,
        )
    return score_predictions(result["predictions"], labels, assignment)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograde.checkpoints evaluate PACKAGE IMAGES.npy --in-channels C
    --num-classes K [--batch-size B] [--device D] [--time-limit S]``: one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m autograde.checkpoints")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="predict held-out images with a package (sandbox)")
    ev.add_argument("package")
    ev.add_argument("images", help=".npy array (n, channels, height, width)")
    ev.add_argument("--in-channels", type=int, required=True)
    ev.add_argument("--num-classes", type=int, required=True)
    ev.add_argument("--batch-size", type=int, default=64)
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args(argv)
    images = np.load(args.images, allow_pickle=False)
    result = evaluate_package(
        args.package,
        images,
        in_channels=args.in_channels,
        num_classes=args.num_classes,
        batch_size=args.batch_size,
        device=args.device,
        time_limit=args.time_limit,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
