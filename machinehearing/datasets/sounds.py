"""Composable sound primitives: the building blocks of the synthetic ESC-50 classes.

A sound is built as in a synthesiser: *sources* in the time domain (pulse trains, noise,
decaying partials, sweeps), each shaped by a *filter* given as a gain over frequency (formants,
noise bands, a spectral tilt) and applied by :func:`render` in one FFT per layer. The room
(:func:`room_response`), the microphone channel (:func:`tilt_gain`) and the background
(:func:`coloured_noise_spectrum`) act on the mixture in the same frequency domain.

Everything is float32 and vectorised; every random choice comes from the ``rng`` passed in,
so a sound depends only on its arguments.

===========================  ================================================================
source                       what it imitates
===========================  ================================================================
:func:`pulse_train`          a voice or an engine: one click per period of a pitch contour
:func:`burst_envelope`       attack-decay envelopes at onsets (times a noise: claps, steps)
:func:`partials`             struck objects: inharmonic partials with exponential decays
:func:`sweeps`               droplets, bird chirps, sirens: sinusoids gliding in pitch
:func:`event_times`          when things happen: regular, irregular or in groups
===========================  ================================================================

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> sr, n = 8000, 8000
>>> onsets = event_times(rng, rate=3.0, start=0.0, stop=1.0, regularity=0.8)
>>> source = pulse_train(np.full(n, 150.0), sr=sr) * burst_envelope(
...     n, sr=sr, onsets=onsets, attack=0.01, decay=0.1)
>>> freqs = np.fft.rfftfreq(2 * n, 1 / sr)
>>> y = render([(source, formant_gain(freqs, [(700, 120), (1200, 150)]), 1.0)], n=n,
...            n_fft=2 * n)
>>> y.shape, y.dtype
((8000,), dtype('float32'))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft

__all__ = [
    "event_times",
    "pulse_train",
    "burst_envelope",
    "partials",
    "sweeps",
    "white_noise",
    "band_gain",
    "formant_gain",
    "lowpass_gain",
    "tilt_gain",
    "coloured_noise_spectrum",
    "room_response",
    "spectrum",
    "energy",
    "render",
]

_F32 = np.float32
#: most events one call of :func:`event_times` returns (rain: ~100 drops per second)
MAX_EVENTS = 1000


def event_times(
    rng: np.random.Generator,
    *,
    rate: float,
    start: float,
    stop: float,
    regularity: float = 0.5,
    group: int = 1,
    group_gap: float = 0.12,
) -> np.ndarray:
    """Onset times (s) of events at ``rate`` per second between ``start`` and ``stop``.

    Inter-onset intervals mix a fixed period (``regularity=1``: a clock) with exponential
    intervals (``regularity=0``: a Poisson process, like rain); each event can be a group of
    ``group`` hits ``group_gap`` seconds apart (knocks, barks in pairs).

    Examples
    --------
    >>> t = event_times(np.random.default_rng(0), rate=2.0, start=0.0, stop=5.0,
    ...                 regularity=1.0)
    >>> np.round(np.diff(t), 6).tolist()
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    """
    span = max(stop - start, 0.0)
    period = 1.0 / max(rate, 1e-3)
    count = min(int(span / period * 2 + 4), MAX_EVENTS)
    jitter = rng.exponential(1.0, count)
    intervals = period * (regularity + (1.0 - regularity) * jitter)
    offset = start + period * rng.uniform(0.0, 1.0)
    onsets = offset + np.concatenate([[0.0], np.cumsum(intervals)])
    onsets = onsets[onsets < stop]
    if group > 1:
        hits = group_gap * np.arange(group) * rng.uniform(0.85, 1.15, group)
        onsets = (onsets[:, None] + hits[None, :]).ravel()
        onsets = onsets[onsets < stop]
    return onsets[:MAX_EVENTS]


def pulse_train(f0: np.ndarray, *, sr: float) -> np.ndarray:
    """One unit click per period of the pitch contour ``f0`` (Hz per sample).

    The excitation of a source-filter voice or an engine: its spectrum is a comb of
    harmonics of ``f0``; a :func:`formant_gain` filter then gives it a vowel or a body.
    Clicks fall between samples (split linearly over the two neighbours), so the pitch is
    not rounded to whole samples.

    Examples
    --------
    >>> y = pulse_train(np.full(1000, 100.0), sr=1000)
    >>> float(y.sum())  # 100 Hz for 1 s: about 100 clicks
    100.0
    """
    f0 = np.asarray(f0, dtype=_F32)
    cycles = np.cumsum(f0 / _F32(sr), dtype=np.float64)
    index = np.flatnonzero(np.diff(np.floor(cycles)) > 0) + 1
    frac = (cycles[index] - np.floor(cycles[index])) / np.maximum(f0[index] / sr, 1e-9)
    frac = np.clip(frac, 0.0, 1.0).astype(_F32)
    y = np.zeros(f0.size + 1, dtype=_F32)
    np.add.at(y, index - 1, frac)
    np.add.at(y, index, 1 - frac)
    return y[: f0.size]


def burst_envelope(
    n: int,
    *,
    sr: float,
    onsets: np.ndarray,
    attack: float,
    decay: float,
    amplitudes: np.ndarray | None = None,
    hold: float = 0.0,
) -> np.ndarray:
    """Sum of attack-hold-decay envelopes starting at ``onsets`` (s), length ``n``.

    Linear attack of ``attack`` s, ``hold`` s at full level, then an exponential decay with
    time constant ``decay`` s, cut after five time constants.

    Examples
    --------
    >>> env = burst_envelope(100, sr=100, onsets=np.array([0.2]), attack=0.05, decay=0.1)
    >>> int(env.argmax()), round(float(env.max()), 2)
    (25, 1.0)
    """
    a, h = max(int(attack * sr), 1), int(hold * sr)
    d = max(int(5 * decay * sr), 1)
    shape = np.concatenate([
        np.linspace(0.0, 1.0, a, endpoint=False, dtype=_F32),
        np.ones(h, dtype=_F32),
        np.exp(-np.arange(d, dtype=_F32) / _F32(max(decay * sr, 1.0))),
    ])
    env = np.zeros(n + shape.size, dtype=_F32)
    starts = (np.asarray(onsets) * sr).astype(np.int64)
    amps = np.ones(starts.size, _F32) if amplitudes is None else np.asarray(amplitudes, _F32)
    keep = (starts >= 0) & (starts < n)
    for start, amp in zip(starts[keep], amps[keep]):
        env[start : start + shape.size] += amp * shape
    return env[:n]


def partials(
    n: int,
    *,
    sr: float,
    onsets: np.ndarray,
    freqs: Sequence[float],
    decays: Sequence[float],
    amplitudes: Sequence[float],
    strikes: np.ndarray | None = None,
) -> np.ndarray:
    """Struck-object sound: decaying sinusoids (``freqs`` Hz, ``decays`` s) at each onset.

    Bells, clinks, glass and clock ticks are sums of such modes; their frequencies need not
    be harmonic. ``strikes`` scales each onset.

    Examples
    --------
    >>> y = partials(8000, sr=8000, onsets=np.array([0.0]), freqs=[440.0], decays=[0.1],
    ...              amplitudes=[1.0])
    >>> bool(abs(y[:800]).max() > 10 * abs(y[-800:]).max())  # it rings down
    True
    """
    y = np.zeros(n, dtype=_F32)
    strikes = np.ones(len(onsets), _F32) if strikes is None else strikes
    nyquist = 0.45 * sr
    for onset, strike in zip(onsets, strikes):
        start = int(onset * sr)
        if not 0 <= start < n:
            continue
        for f, tau, amp in zip(freqs, decays, amplitudes):
            if f >= nyquist:
                continue
            m = min(int(5 * tau * sr) + 1, n - start)
            t = np.arange(m, dtype=_F32) / _F32(sr)
            y[start : start + m] += (strike * amp) * np.exp(-t / _F32(tau)) * np.sin(
                _F32(2 * np.pi * f) * t)
    return y


def sweeps(
    n: int,
    *,
    sr: float,
    onsets: np.ndarray,
    duration: float,
    f_start: float,
    f_stop: float,
    decay: float | None = None,
    fm_rate: float = 0.0,
    fm_depth: float = 0.0,
) -> np.ndarray:
    """Sinusoids gliding exponentially from ``f_start`` to ``f_stop`` Hz, one per onset.

    With ``decay`` the sweep rings down exponentially (a water droplet); without, it has a
    smooth raised-sine envelope (a bird chirp, a siren cycle). ``fm_rate`` and ``fm_depth``
    (in octaves) add a vibrato.

    Examples
    --------
    >>> y = sweeps(8000, sr=8000, onsets=np.array([0.1]), duration=0.5, f_start=500.0,
    ...            f_stop=1000.0)
    >>> bool(y[800:1600].any()), bool(y[6000:].any())
    (True, False)
    """
    y = np.zeros(n, dtype=_F32)
    m_full = max(int(duration * sr), 2)
    u = np.arange(m_full, dtype=_F32) / _F32(m_full)
    octave = _F32(np.log2(max(f_stop, 1.0) / max(f_start, 1.0))) * u
    if fm_depth:
        octave = octave + _F32(fm_depth) * np.sin(_F32(2 * np.pi * fm_rate * duration) * u)
    freq = np.minimum(_F32(f_start) * np.exp2(octave), _F32(0.45 * sr))
    phase = _F32(2 * np.pi) * np.cumsum(freq / _F32(sr), dtype=_F32)
    if decay is None:
        env = np.sin(_F32(np.pi) * u) ** 2
    else:
        attack = np.minimum(u * _F32(m_full / max(0.002 * sr, 1.0)), 1.0)
        env = attack * np.exp(-u * _F32(duration / decay))
    grain = np.sin(phase) * env
    for onset in onsets:
        start = int(onset * sr)
        if 0 <= start < n:
            m = min(m_full, n - start)
            y[start : start + m] += grain[:m]
    return y


def white_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniform white noise with unit variance (cheaper to draw than Gaussian noise).

    Examples
    --------
    >>> x = white_noise(np.random.default_rng(0), 100_000)
    >>> round(float(x.std()), 2)
    1.0
    """
    return (rng.random(n, dtype=_F32) - _F32(0.5)) * _F32(np.sqrt(12))


# ---------------------------------------------------------------------------------------------
# filters: gains over the frequencies ``freqs`` (Hz) of an rfft
# ---------------------------------------------------------------------------------------------


def band_gain(freqs: np.ndarray, center: float, octaves: float) -> np.ndarray:
    """A band: a Gaussian in log-frequency around ``center`` Hz, ``octaves`` wide (sigma).

    Examples
    --------
    >>> band_gain(np.array([250.0, 1000.0, 4000.0]), 1000.0, 1.0).astype(float).round(3).tolist()
    [0.135, 1.0, 0.135]
    """
    logdist = np.log2(np.maximum(freqs, 1.0) / _F32(center)) / _F32(octaves)
    return np.exp(_F32(-0.5) * logdist.astype(_F32) ** 2)


def formant_gain(freqs: np.ndarray, formants: Sequence[tuple[float, float]]) -> np.ndarray:
    """Resonances at ``(frequency, bandwidth)`` pairs (Hz), each with a peak gain of 1.

    The vocal tract of a bark, the body of an engine or the cavity of a can: a sum of
    second-order resonance magnitudes.

    Examples
    --------
    >>> g = formant_gain(np.array([100.0, 700.0, 3000.0]), [(700.0, 100.0)])
    >>> int(g.argmax())
    1
    """
    g = np.zeros(freqs.shape, dtype=_F32)
    for f, bw in formants:
        g += _F32(1.0) / np.sqrt(_F32(1.0) + ((freqs - _F32(f)) / _F32(bw / 2)) ** 2)
    return g


def lowpass_gain(freqs: np.ndarray, cutoff: float, order: float = 2.0) -> np.ndarray:
    """A Butterworth-like low-pass magnitude with ``cutoff`` Hz and ``order``.

    Examples
    --------
    >>> lowpass_gain(np.array([0.0, 100.0]), 100.0).astype(float).round(3).tolist()
    [1.0, 0.707]
    """
    return (_F32(1.0) / np.sqrt(_F32(1.0) + (freqs / _F32(cutoff)) ** _F32(2 * order))).astype(
        _F32)


def tilt_gain(freqs: np.ndarray, db_per_octave: float, reference: float = 1000.0) -> np.ndarray:
    """A spectral tilt of ``db_per_octave`` around ``reference`` Hz (a microphone, a channel).

    Examples
    --------
    >>> tilt_gain(np.array([500.0, 1000.0, 2000.0]), 6.0).round(2).tolist()
    [0.5, 1.0, 2.0]
    """
    octaves = np.log2(np.maximum(freqs, 20.0) / _F32(reference))
    return np.power(_F32(10.0), _F32(db_per_octave / 20) * octaves.astype(_F32))


def coloured_noise_spectrum(
    rng: np.random.Generator, freqs: np.ndarray, exponent: float
) -> np.ndarray:
    """Spectrum of a noise whose power falls as ``f ** -exponent`` (0 white, 1 pink, 2 brown).

    Examples
    --------
    >>> freqs = np.fft.rfftfreq(4096, 1 / 8000)
    >>> x = np.fft.irfft(coloured_noise_spectrum(np.random.default_rng(0), freqs, 1.0))
    >>> x.shape
    (4096,)
    """
    shape = np.power(np.maximum(freqs, 20.0) / _F32(1000.0), _F32(-exponent / 2)).astype(_F32)
    re, im = rng.random((2, freqs.size), dtype=_F32) - _F32(0.5)
    return (re + np.complex64(1j) * im) * shape


def room_response(rng: np.random.Generator, *, sr: float, rt60: float, direct: float) -> np.ndarray:
    """A room impulse response: the direct sound, then noise decaying by 60 dB in ``rt60`` s.

    ``direct`` is the direct-to-reverberant energy ratio (linear): small in a large hall, large
    close to the microphone.

    Examples
    --------
    >>> h = room_response(np.random.default_rng(0), sr=8000, rt60=0.5, direct=1.0)
    >>> h.size, float(h[0])
    (4000, 1.0)
    """
    m = max(int(rt60 * sr), 2)
    t = np.arange(m, dtype=_F32) / _F32(sr)
    tail = white_noise(rng, m) * np.exp(_F32(-3 * np.log(10) / rt60) * t)
    tail[0] = 0.0
    tail *= _F32(1.0 / np.sqrt(max(direct, 1e-6) * np.sum(tail**2) + 1e-12))
    tail[0] = 1.0
    return tail


def spectrum(
    layers: Sequence[tuple[np.ndarray, np.ndarray | None, float]], *, n_fft: int
) -> np.ndarray:
    """Sum of filtered layers in the frequency domain: ``sum(level * rfft(source) * gain)``.

    Each ``(source, gain, level)`` layer is first scaled to unit energy, so ``level`` alone sets
    its share of the mixture (a breath under a bark, a hum under a vacuum cleaner). ``gain`` is
    over ``scipy.fft.rfftfreq(n_fft, 1 / sr)``, ``None`` for no filter; silent layers add
    nothing.

    Examples
    --------
    >>> x = spectrum([(np.ones(8, np.float32), None, 2.0)], n_fft=16)
    >>> round(energy(x, n_fft=16), 3)
    4.0
    """
    total = np.zeros(n_fft // 2 + 1, dtype=np.complex64)
    for source, gain, level in layers:
        x = scipy.fft.rfft(source, n_fft)
        if gain is not None:
            x *= gain
        e = energy(x, n_fft=n_fft)
        if e > 0:
            total += x * _F32(level / np.sqrt(e))
    return total


def energy(x: np.ndarray, *, n_fft: int) -> float:
    """Energy ``sum(y ** 2)`` of ``y = irfft(x, n_fft)``, computed from ``x`` (Parseval).

    Examples
    --------
    >>> y = np.arange(6.0)
    >>> bool(np.isclose(energy(np.fft.rfft(y), n_fft=6), np.sum(y ** 2)))
    True
    """
    power = np.abs(x) ** 2
    total = 2 * power.sum() - power[0] - (power[-1] if n_fft % 2 == 0 else 0.0)
    return float(total) / n_fft


def render(
    layers: Sequence[tuple[np.ndarray, np.ndarray | None, float]],
    *,
    n: int,
    n_fft: int,
) -> np.ndarray:
    """The layers of :func:`spectrum` back in the time domain, ``n`` samples (``n_fft >= n``).

    Examples
    --------
    >>> y = render([(np.ones(8, np.float32), None, 1.0)], n=8, n_fft=16)
    >>> y.astype(float).round(3).tolist()
    [0.354, 0.354, 0.354, 0.354, 0.354, 0.354, 0.354, 0.354]
    """
    return scipy.fft.irfft(spectrum(layers, n_fft=n_fft), n_fft)[:n].astype(_F32)
