"""machinehearing.plots.signal: units on the axes, data equal to independent computations."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.signal

from machinehearing import plots
from machinehearing.errors import AudioError, ParameterError

SR = 8000


def tone(freq=1000.0, seconds=0.5, sr=SR):
    return np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr).astype(np.float32)


def test_waveform_plots_samples_against_seconds(render):
    y = tone(seconds=0.25)
    ax = plots.waveform(y, SR)
    (line,) = ax.lines
    np.testing.assert_allclose(line.get_xdata(), np.arange(len(y)) / SR)
    np.testing.assert_array_equal(line.get_ydata(), y)
    assert ax.get_xlim() == pytest.approx((0.0, 0.25))
    assert ax.get_xlabel() == "Time (s)"
    render(ax)


def test_waveform_draws_into_the_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert plots.waveform(tone(), SR, ax=axes[1]) is axes[1]
    assert not axes[0].lines
    plt.close(fig)


def test_waveform_rejects_non_finite_audio():
    with pytest.raises(AudioError):
        plots.waveform(np.array([0.0, np.nan], dtype=np.float32), SR)


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "boxcar"])
def test_window_time_panel_is_the_periodic_window(name, render):
    fig = plots.window(name, 256)
    np.testing.assert_allclose(
        fig.axes[0].lines[0].get_ydata(),
        scipy.signal.get_window(name, 256, fftbins=True),
        atol=1e-12,
    )
    render(fig)


@pytest.mark.parametrize("name, first_null", [("hann", 2), ("boxcar", 1), ("blackman", 3)])
def test_window_response_peaks_at_0_db_with_nulls_at_whole_bins(name, first_null):
    fig = plots.window(name, 64, bins=8)
    line = fig.axes[1].lines[0]
    bins, db = line.get_xdata(), line.get_ydata()
    assert db.max() == pytest.approx(0.0) and db[0] == pytest.approx(0.0)
    null = np.argmin(np.abs(bins - first_null))
    assert db[null] < -100  # periodic windows vanish exactly at whole DFT bins
    assert db[: null - 2].min() > -100  # ...and not before (inside the main lobe)
    assert fig.axes[1].get_xlim() == pytest.approx((0.0, 8.0))
    plt.close(fig)


def test_window_axes_are_in_seconds_and_hz_with_a_sampling_rate():
    fig = plots.window("hann", 400, sr=16000, bins=None)
    time_ax, freq_ax = fig.axes[:2]
    assert time_ax.get_xlim() == pytest.approx((0.0, 399 / 16000))
    assert freq_ax.get_xlim() == pytest.approx((0.0, 8000.0))
    assert freq_ax.get_xlabel() == "Frequency (Hz)"
    assert plots.window("hann", 400, sr=16000).axes[1].get_xlim()[1] == pytest.approx(640.0)
    plt.close("all")


def test_window_draws_into_a_given_pair_of_axes():
    fig, axes = plt.subplots(2, 1)
    assert plots.window("hann", 128, axes=axes) is fig
    assert len(axes[0].lines) == len(axes[1].lines) == 1
    plt.close(fig)


@pytest.mark.parametrize("x_scale", ["linear", "log"])
def test_spectrum_peaks_at_the_tone_frequency(x_scale, render):
    ax = plots.spectrum(tone(1250.0), SR, x_scale=x_scale)
    line = ax.lines[0]
    assert line.get_xdata()[np.argmax(line.get_ydata())] == pytest.approx(1250.0, abs=SR / 4000)
    assert np.max(line.get_ydata()) == pytest.approx(0.0)
    assert ax.get_xlim()[1] == pytest.approx(SR / 2)
    assert ax.get_xscale() == x_scale
    assert ax.get_ylabel() == "Magnitude (dB)"
    render(ax)


def test_spectrum_rejects_an_unknown_scale():
    with pytest.raises(ParameterError, match="x_scale"):
        plots.spectrum(tone(), SR, x_scale="mel")
