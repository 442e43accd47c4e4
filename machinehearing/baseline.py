"""A linear baseline: logistic regression on clip summaries (mean and std of a feature).

Every CNN result deserves a cheap reference on the same split. Each clip becomes one vector,
the mean and the standard deviation over time of every row of a 2-D feature (e.g. 128 log-mel
bands give 256 numbers, as in Piczak's 2015 ESC-50 baselines); a standardised logistic
regression learns the classes from them. What the linear model cannot do, and the CNN can, is
use *when* things happen in the clip.

Examples
--------
>>> import tempfile
>>> from machinehearing.datasets import load_metadata, make_esc50_like
>>> root = make_esc50_like(tempfile.mkdtemp() + "/d", n_classes=5, clips_per_class=10,
...                        sr=8000, duration=1.0, progress=False)
>>> clips = load_metadata(root)
>>> x = clip_summaries([c.path(root) for c in clips], feature="logmel:n_mels=32,n_fft=256")
>>> x.shape
(50, 64)
>>> y = np.array([c.target for c in clips])
>>> folds = np.array([c.fold for c in clips])
>>> pred = linear_probe(x[folds > 1], y[folds > 1], x[folds == 1])
>>> pred.shape
(10,)
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

import numpy as np

from . import audio
from .features.images import compute

__all__ = ["clip_summaries", "linear_probe", "crossval_accuracy"]


def _summary(path: str | PathLike, feature: str, sr: int | None) -> np.ndarray:
    y, rate = audio.load(path, sr=sr)
    f = compute(feature, y, rate)
    return np.concatenate([f.mean(axis=1), f.std(axis=1)]).astype(np.float32)


def clip_summaries(
    paths: Sequence[str | PathLike],
    *,
    feature: str = "logmel",
    sr: int | None = None,
    n_jobs: int = 1,
) -> np.ndarray:
    """Mean and standard deviation over time of each row of ``feature``, one row per clip.

    Parameters
    ----------
    paths : sequence of path-like
        Audio files.
    feature : str, default="logmel"
        A feature spec of :data:`machinehearing.features.images.FEATURES`
        (``"mfcc:n_mfcc=20"``).
    sr : int, optional
        Resample to this rate first (default: keep the file's rate).
    n_jobs : int, default=1
        Clips computed in parallel (joblib processes); the result does not depend on it.

    Returns
    -------
    np.ndarray, shape (n_clips, 2 * n_rows)
        ``[means, stds]`` per clip, float32.
    """
    if n_jobs == 1:
        rows = [_summary(p, feature, sr) for p in paths]
    else:
        from joblib import Parallel, delayed

        rows = Parallel(n_jobs=n_jobs)(delayed(_summary)(p, feature, sr) for p in paths)
    return np.stack(rows)


def linear_probe(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, *, c: float = 0.1
) -> np.ndarray:
    """Predict ``x_test`` with a standardised multinomial logistic regression (L2, ``C=c``).

    The fit runs on one BLAS thread: the small matrix products of L-BFGS gain nothing from
    threads, and on a loaded machine oversubscribed threads make them a hundred times slower.

    Returns
    -------
    np.ndarray of int
        The predicted labels of ``x_test``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
    with threadpool_limits(1):
        model.fit(x_train, y_train)
        return model.predict(x_test)


def crossval_accuracy(
    x: np.ndarray, y: np.ndarray, folds: np.ndarray, *, c: float = 0.1
) -> float:
    """Pooled accuracy of :func:`linear_probe` over the folds (each fold tested once).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> x = rng.normal(size=(40, 3)) + 3 * y[:, None]
    >>> crossval_accuracy(x, y, np.tile([1, 2, 3, 4], 10))
    1.0
    """
    pred = np.empty_like(y)
    for fold in np.unique(folds):
        test = folds == fold
        pred[test] = linear_probe(x[~test], y[~test], x[test], c=c)
    return float(np.mean(pred == y))
