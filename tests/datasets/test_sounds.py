"""Sound primitives and class recipes, each against an oracle computed another way."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from machinehearing.datasets import recipes, sounds
from machinehearing.datasets.esc50 import CLASSES
from machinehearing.datasets.synthetic import synthesize
from machinehearing.errors import ParameterError

SR = 16000


@pytest.mark.parametrize("f0", [97.0, 440.0, 1234.5])
def test_pulse_train_has_one_click_per_period(f0):
    n = SR * 2
    y = sounds.pulse_train(np.full(n, f0, np.float32), sr=SR)
    assert y.sum() == pytest.approx(f0 * n / SR, abs=1.0)
    spectrum = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    assert freqs[1 + spectrum[1:].argmax()] == pytest.approx(f0, rel=0.01)


def test_event_times_regular_and_poisson():
    rng = np.random.default_rng(0)
    clock = sounds.event_times(rng, rate=4.0, start=0.0, stop=50.0, regularity=1.0)
    assert np.allclose(np.diff(clock), 0.25)
    rain = sounds.event_times(rng, rate=40.0, start=0.0, stop=20.0, regularity=0.0)
    gaps = np.diff(rain)
    assert gaps.mean() == pytest.approx(1 / 40, rel=0.1)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.15)  # exponential: CV = 1
    groups = sounds.event_times(rng, rate=0.5, start=0.0, stop=30.0, regularity=1.0, group=3,
                                group_gap=0.1)
    gaps = np.diff(groups)[:2]
    assert len(groups) >= 40 and np.all((gaps > 0.05) & (gaps < 0.15))


def test_room_response_decays_60_db_in_rt60():
    rt60 = 0.5
    h = sounds.room_response(np.random.default_rng(0), sr=SR, rt60=rt60, direct=1.0)
    tail = h[1:].astype(np.float64) ** 2
    schroeder = 10 * np.log10(np.cumsum(tail[::-1])[::-1] / tail.sum())  # energy decay curve
    t = np.arange(tail.size) / SR
    fit = np.polyfit(t[(schroeder < -5) & (schroeder > -25)],
                     schroeder[(schroeder < -5) & (schroeder > -25)], 1)
    assert -60 / fit[0] == pytest.approx(rt60, rel=0.1)
    assert h[0] ** 2 == pytest.approx(tail.sum(), rel=1e-4)  # direct = reverberant energy


def test_tilt_gain_slope_and_band_and_formant_peaks():
    freqs = np.array([250.0, 500.0, 1000.0, 2000.0, 4000.0], np.float32)
    db = 20 * np.log10(sounds.tilt_gain(freqs, -4.0))
    assert np.allclose(np.diff(db), -4.0, atol=1e-4)
    f = np.linspace(0, 8000, 8001, dtype=np.float32)
    assert f[sounds.band_gain(f, 1500.0, 0.5).argmax()] == 1500.0
    g = sounds.formant_gain(f, [(700.0, 100.0), (2500.0, 200.0)])
    peaks, _ = scipy.signal.find_peaks(g)
    assert f[peaks].tolist() == [700.0, 2500.0]


def test_energy_is_parseval_and_spectrum_scales_layers():
    rng = np.random.default_rng(1)
    y = rng.normal(size=1001)
    for n_fft in (1001, 2048):
        assert sounds.energy(np.fft.rfft(y, n_fft), n_fft=n_fft) == pytest.approx(np.sum(y**2))
    x = sounds.spectrum([(y.astype(np.float32), None, 3.0)], n_fft=2048)
    assert sounds.energy(x, n_fft=2048) == pytest.approx(9.0, rel=1e-4)


def test_coloured_noise_has_the_requested_slope():
    freqs = np.fft.rfftfreq(1 << 16, 1 / SR).astype(np.float32)
    x = sounds.coloured_noise_spectrum(np.random.default_rng(0), freqs, 1.0)  # pink
    power = np.abs(x) ** 2
    low = power[(freqs > 200) & (freqs < 400)].mean()
    high = power[(freqs > 3200) & (freqs < 6400)].mean()
    assert 10 * np.log10(low / high) == pytest.approx(10 * np.log10(16), abs=1.0)  # 3 dB/oct


def test_partials_ring_at_their_frequencies():
    y = sounds.partials(SR, sr=SR, onsets=np.array([0.0]), freqs=[500.0, 1190.0],
                        decays=[0.5, 0.5], amplitudes=[1.0, 1.0])
    spectrum = np.abs(np.fft.rfft(y))
    peaks, _ = scipy.signal.find_peaks(spectrum, height=spectrum.max() / 3)
    assert np.fft.rfftfreq(SR, 1 / SR)[peaks].tolist() == [500.0, 1190.0]


def test_every_class_has_a_recipe_with_known_voices():
    assert tuple(recipes.RECIPES) == CLASSES
    for recipe in recipes.RECIPES.values():
        assert recipe and all(voice in recipes.VOICES for voice, _ in recipe)


def test_categories_share_their_main_voice():
    """Most classes of a category use the category's commonest voice (categories task)."""
    for first in range(0, 50, 10):
        voices = [[v for v, _ in recipes.RECIPES[CLASSES[t]]] for t in range(first, first + 10)]
        counts = {v: sum(v in vs for vs in voices) for vs in voices for v in vs}
        assert max(counts.values()) >= 4


def test_draw_params_spreads_recordings_around_the_class_centre():
    rng = np.random.default_rng(0)
    f0 = np.array([recipes.draw_params(rng, recipes.RECIPES["dog"])[0][1]["f0"]
                   for _ in range(2000)])
    assert np.log(f0).std() == pytest.approx(recipes.SPREAD, rel=0.1)
    assert np.exp(np.log(f0).mean()) == pytest.approx(recipes.RECIPES["dog"][0][1]["f0"],
                                                      rel=0.03)
    assert recipes.draw_params(rng, recipes.RECIPES["crickets"])[0][1]["group"] == 3


def _envelope(y, hop=160):
    frames = np.lib.stride_tricks.sliding_window_view(y, 2 * hop)[::hop]
    return np.sqrt((frames**2).mean(axis=1))


def test_clock_tick_is_periodic_and_rain_is_dense():
    tick = _envelope(synthesize("clock_tick", sr=SR, duration=5.0, seed=1))
    ac = np.correlate(tick - tick.mean(), tick - tick.mean(), "full")[tick.size - 1:]
    period = (10 + ac[10:].argmax()) * 160 / SR  # seconds between ticks
    params = recipes.draw_params(np.random.default_rng([1, 38, 1 << 30]),
                                 recipes.RECIPES["clock_tick"])
    assert period == pytest.approx(1 / params[0][1]["rate"], rel=0.05)
    rain = _envelope(synthesize("rain", sr=SR, duration=5.0))
    drops = _envelope(synthesize("water_drops", sr=SR, duration=5.0))
    quiet = lambda env: np.mean(env < 0.05 * env.max())  # noqa: E731
    assert quiet(rain) < 0.1 < quiet(drops)  # rain never pauses, drops mostly silence


def test_church_bells_ring_longer_than_a_door_knock():
    def decay_time(y):
        env = _envelope(y)
        peak = env.argmax()
        after = np.flatnonzero(env[peak:] < env[peak] / 10)
        return after[0] * 160 / SR if after.size else np.inf

    assert decay_time(synthesize("church_bells", sr=SR)) > 10 * decay_time(
        synthesize("door_wood_knock", sr=SR))


def test_synthesize_is_deterministic_and_seeds_are_recordings():
    a = synthesize("dog", sr=8000, duration=1.0, seed=3)
    assert np.array_equal(a, synthesize(0, sr=8000, duration=1.0, seed=3))
    assert not np.array_equal(a, synthesize("dog", sr=8000, duration=1.0, seed=4))
    noisy = synthesize("dog", sr=8000, duration=1.0, seed=3, nuisances=True)
    assert noisy.shape == a.shape and not np.array_equal(a, noisy)


@pytest.mark.parametrize("name", ["bark", 50, -1, True, 1.0])
def test_synthesize_rejects_unknown_classes(name):
    with pytest.raises(ParameterError, match="class name"):
        synthesize(name)
