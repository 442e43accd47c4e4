"""machinehearing.plots.feature_plots: cells in the right place in seconds and Hz."""

from __future__ import annotations

import librosa
import matplotlib.pyplot as plt
import numpy as np
import pytest

from machinehearing import features, plots
from machinehearing.errors import ParameterError
from machinehearing.features.images import FEATURES

SR = 16000


def tone(freq=1000.0, seconds=1.0, sr=SR):
    return np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr).astype(np.float32)


def stft_db(y, n_fft=512, hop_length=128):
    return librosa.power_to_db(
        np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length)) ** 2, ref=np.max
    )


def brightest_cell(ax):
    """(time edges, frequency edges) of the largest value of the mesh."""
    mesh = ax.collections[0]
    coords = mesh.get_coordinates()  # (rows + 1, frames + 1, 2)
    values = np.asarray(mesh.get_array()).reshape(coords.shape[0] - 1, coords.shape[1] - 1)
    row = np.unravel_index(np.argmax(values), values.shape)[0]
    return coords[row, 0, 1], coords[row + 1, 0, 1]


@pytest.mark.parametrize("n_fft, hop_length", [(512, 128), (1024, 256)])
def test_linear_spectrogram_spans_nyquist_and_the_clip(n_fft, hop_length, render):
    S = stft_db(tone(), n_fft, hop_length)
    ax = plots.spectrogram(S, sr=SR, hop_length=hop_length)
    assert ax.get_ylim() == pytest.approx((0.0, SR / 2))
    assert ax.get_xlim() == pytest.approx((0.0, S.shape[1] * hop_length / SR))
    assert ax.get_xlabel() == "Time (s)" and ax.get_ylabel() == "Frequency (Hz)"
    np.testing.assert_array_equal(np.asarray(ax.collections[0].get_array()).ravel(), S.ravel())
    low, high = brightest_cell(ax)
    assert low <= 1000.0 <= high
    assert ax.figure.axes[-1].get_ylabel() == "dB"  # the colorbar
    render(ax)


def test_log_spectrogram_starts_at_fmin():
    S = stft_db(tone(300.0))
    ax = plots.spectrogram(S, sr=SR, hop_length=128, y_axis="log")
    assert ax.get_yscale() == "log"
    assert ax.get_ylim() == pytest.approx((SR / 512, SR / 2))
    low, high = brightest_cell(ax)
    assert low <= 300.0 <= high
    ax = plots.spectrogram(S, sr=SR, hop_length=128, y_axis="log", fmin=100.0)
    assert ax.get_ylim()[0] == pytest.approx(100.0)
    plt.close("all")


@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("fmin, fmax", [(None, None), (50.0, 6000.0)])
def test_mel_spectrogram_uses_a_mel_scaled_hz_axis(htk, fmin, fmax, render):
    y = tone(2000.0)
    kwargs = {k: v for k, v in dict(fmin=fmin, fmax=fmax).items() if v is not None}
    M = librosa.power_to_db(
        librosa.feature.melspectrogram(y=y, sr=SR, n_mels=64, htk=htk, **kwargs), ref=np.max
    )
    ax = plots.spectrogram(M, sr=SR, hop_length=512, y_axis="mel", htk=htk, **kwargs)
    lo, hi = fmin or 0.0, fmax or SR / 2
    assert ax.get_yscale() == "function"
    assert ax.get_ylim() == pytest.approx((lo, hi))
    # the axis transform is the mel formula: equal mel steps are equal heights
    forward = ax.yaxis.get_transform().transform
    hz = np.array([100.0, 1000.0, 4000.0])
    np.testing.assert_allclose(forward(hz), librosa.hz_to_mel(hz, htk=htk), rtol=1e-6)
    # cell edges are the mel band edges (equal widths on the mel scale)
    edges = ax.collections[0].get_coordinates()[:, 0, 1]
    np.testing.assert_allclose(
        edges, librosa.mel_frequencies(65, fmin=lo, fmax=hi, htk=htk), rtol=1e-5
    )
    low, high = brightest_cell(ax)
    assert low - 100 <= 2000.0 <= high + 100
    render(ax)


def test_mel_axis_ticks_are_plain_hz_values_from_a_locator():
    M = np.zeros((40, 10))
    M[0, 0] = 1.0
    ax = plots.spectrogram(M, sr=SR, hop_length=512, y_axis="mel")
    ticks = ax.get_yticks()
    assert 0.0 in ticks and 1000.0 in ticks and 8000.0 in ticks
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "1000" in labels and "8000" in labels
    plt.close("all")


def test_cqt_spectrogram_has_log_frequency_rows():
    C = np.random.default_rng(0).normal(size=(36, 20))
    ax = plots.spectrogram(C, sr=SR, hop_length=512, y_axis="cqt", fmin=55.0)
    assert ax.get_yscale() == "log"
    assert ax.get_ylim() == pytest.approx((55.0 * 2 ** (-0.5 / 12), 55.0 * 2 ** (35.5 / 12)))
    plt.close("all")


def test_index_axis_and_options():
    X = np.random.default_rng(0).normal(size=(13, 20))
    ax = plots.spectrogram(
        X, sr=SR, hop_length=256, y_axis="index", colorbar=False, ylabel="MFCC", duration=0.3
    )
    assert ax.get_ylim() == pytest.approx((-0.5, 12.5))
    assert ax.get_xlim() == pytest.approx((0.0, 0.3))
    assert ax.get_ylabel() == "MFCC" and len(ax.figure.axes) == 1
    plt.close("all")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y_axis="bark"), "y_axis"),
        (dict(n_fft=1024), "n_fft"),
        (dict(hop_length=0), "hop_length"),
    ],
)
def test_spectrogram_validates_its_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        plots.spectrogram(np.zeros((257, 4)), sr=SR, **kwargs)
    with pytest.raises(ParameterError, match="2-D"):
        plots.spectrogram(np.zeros(10), sr=SR)


@pytest.mark.parametrize("x_axis", ["linear", "mel"])
def test_mel_filterbank_peaks_at_the_mel_centre_frequencies(x_axis, render):
    n_fft, n_mels = 1024, 24
    fb = features.mel_filterbank(sr=SR, n_fft=n_fft, n_mels=n_mels)
    ax = plots.mel_filterbank(fb, sr=SR, x_axis=x_axis)
    assert len(ax.lines) == n_mels
    assert ax.get_xlim() == pytest.approx((0.0, SR / 2))
    centres = librosa.mel_frequencies(n_mels + 2, fmin=0.0, fmax=SR / 2)[1:-1]
    peaks = [line.get_xdata()[np.argmax(line.get_ydata())] for line in ax.lines]
    np.testing.assert_allclose(peaks, centres, atol=SR / n_fft)
    render(ax)


def test_features_shows_one_panel_per_feature_with_real_units(render):
    y = tone(440.0, seconds=1.0) + 0.1 * np.random.default_rng(0).normal(size=SR).astype(np.float32)
    fig = plots.features(y, SR, "spectrogram_db,logmel,mfcc,chroma")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["spectrogram_db", "logmel", "mfcc", "chroma"]
    assert panels[0].get_ylim() == pytest.approx((0.0, SR / 2))
    assert panels[1].get_yscale() == "function" and panels[1].get_ylim()[1] == SR / 2
    n_mfcc = FEATURES["mfcc"].defaults["n_mfcc"]
    assert panels[2].get_ylim() == pytest.approx((-0.5, n_mfcc - 0.5))
    assert panels[3].get_ylabel() == "Pitch class"
    n_frames = 1 + SR // 512
    assert panels[0].get_xlim() == pytest.approx((0.0, n_frames * 512 / SR))
    render(fig)
