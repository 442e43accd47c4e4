"""Test signals and the librosa-parity checker shared by the feature tests.

The other feature test files import ``make_signal``, ``assert_matches`` and
``assert_db_matches`` from here (pytest puts this folder on ``sys.path``).  The
tests below pin the checker itself: a tolerance check that cannot fail would
make every parity test meaningless.
"""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from machinehearing.errors import ParameterError
from machinehearing.features.spectral import _normalize

#: parity tolerances of the project: relative error where |value| > FLOOR * max|value|
RTOL = 1e-4
FLOOR = 1e-6
DB_ATOL = 1e-3

SIGNALS = ("chirp_noise", "tone", "silence", "short")


def make_signal(kind: str, sr: int, seconds: float = 0.5, seed: int = 0) -> np.ndarray:
    """A float32 test signal: a chirp plus noise, a pure tone, silence, or a short clip."""
    n = int(sr * seconds)
    t = np.arange(n) / sr
    rng = np.random.default_rng(seed)
    if kind == "chirp_noise":
        f0, f1 = 100.0, 0.45 * sr
        phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds))
        y = 0.5 * np.sin(phase) + 0.05 * rng.standard_normal(n)
    elif kind == "tone":
        y = 0.8 * np.sin(2 * np.pi * 440.0 * t)
    elif kind == "silence":
        y = np.zeros(n)
    elif kind == "short":  # shorter than most FFT sizes
        y = 0.3 * rng.standard_normal(300)
    else:
        raise ValueError(kind)
    return y.astype(np.float32)


def assert_matches(ours, ref, *, rtol: float = RTOL, floor: float = FLOOR) -> None:
    """Assert librosa parity: same shape, relative error <= rtol on values above floor * max.

    Values below the floor must still agree to within ``floor * max`` in absolute terms.
    """
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"shape {ours.shape} != librosa's {ref.shape}"
    assert np.all(np.isfinite(ours)), "non-finite values"
    scale = np.max(np.abs(ref)) if ref.size else 0.0
    err = np.abs(ours.astype(np.complex128) - ref)
    big = np.abs(ref) > floor * scale
    if big.any():
        rel = np.max(err[big] / np.abs(ref[big]))
        assert rel <= rtol, f"max relative error {rel:.3g} > {rtol:g}"
    small_err = np.max(err[~big], initial=0.0)
    assert small_err <= max(floor * scale, 1e-12), f"small values differ by {small_err:.3g}"


def assert_db_matches(ours, ref, *, atol: float = DB_ATOL) -> None:
    """Assert decibel-valued arrays agree within ``atol`` dB."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"shape {ours.shape} != librosa's {ref.shape}"
    assert np.all(np.isfinite(ours)), "non-finite values"
    diff = np.max(np.abs(ours - ref), initial=0.0)
    assert diff <= atol, f"max difference {diff:.3g} dB > {atol:g} dB"


@pytest.mark.parametrize("kind", SIGNALS)
def test_make_signal_is_finite_float32(kind):
    y = make_signal(kind, 8000)
    assert y.dtype == np.float32 and y.ndim == 1 and np.all(np.isfinite(y))


@pytest.mark.parametrize(
    ("ours", "ok"),
    [
        (np.array([1.0, 1e-3]) * (1 + 0.5e-4), True),
        (np.array([1.0, 1e-3 * 1.001]), False),  # 1e-3 relative error on a value above floor
        (np.array([1.0, 1e-3, 2e-7]), None),  # wrong shape
    ],
)
def test_assert_matches_detects_errors(ours, ok):
    ref = np.array([1.0, 1e-3])
    if ok:
        assert_matches(ours, ref)
    else:
        with pytest.raises(AssertionError):
            assert_matches(ours, ref)


def test_assert_matches_bounds_values_below_the_floor():
    ref = np.array([1.0, 1e-9])
    assert_matches(np.array([1.0, 5e-7]), ref)  # below the floor: absolute check only
    with pytest.raises(AssertionError):
        assert_matches(np.array([1.0, 1e-5]), ref)


def test_assert_db_matches_detects_errors():
    assert_db_matches(np.array([0.0, -10.0]), np.array([0.0, -10.0005]))
    with pytest.raises(AssertionError):
        assert_db_matches(np.array([0.0, -10.0]), np.array([0.0, -10.01]))


@pytest.mark.parametrize("norm", [np.inf, -np.inf, 0, 1, 2, 0.5, None])
@pytest.mark.parametrize("axis", [0, -1])
def test_normalize_matches_librosa(norm, axis):
    S = np.random.default_rng(1).standard_normal((6, 5)).astype(np.float32)
    S[:, 2] = 0.0  # a silent column stays zero
    S[3] = 0.0
    assert_matches(
        _normalize(S, norm=norm, axis=axis), librosa.util.normalize(S, norm=norm, axis=axis)
    )


def test_normalize_rejects_unknown_norm():
    with pytest.raises(ParameterError, match="norm"):
        _normalize(np.ones((2, 2)), norm="l2", axis=0)
