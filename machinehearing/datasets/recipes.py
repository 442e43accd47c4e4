"""One procedural recipe per ESC-50 class, written with the primitives of :mod:`.sounds`.

A recipe is a list of *voices* (a voice is a small instrument: harmonic calls, noise bursts,
struck partials, droplets, crackles, an engine, a noise bed, tone sweeps) with the centre of
the class's parameter region. A recording draws its own parameters around that centre
(:func:`draw_params`), so a class is a region of parameter space, and neighbouring classes
overlap. Classes of one major category mostly share voices: animals call, natural soundscapes
are beds, droplets and crackles, humans call and make noise bursts, domestic sounds are bursts,
struck objects and motors, urban noises are engines, sirens and bells.

Examples
--------
>>> sorted({voice for recipe in RECIPES.values() for voice, _ in recipe})[:4]
['bed', 'bursts', 'calls', 'crackles']
>>> len(RECIPES)
50
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import sounds
from .esc50 import CLASSES

__all__ = ["Context", "VOICES", "RECIPES", "SPREAD", "draw_params", "voice_layers"]

#: log-normal spread (sigma, natural log) of a recording's parameters around its class centre:
#: 0.3 is about 0.43 octave for a frequency, +-35 % for a rate; comparable to the distance
#: between neighbouring classes, so a class is a region and regions overlap
SPREAD = 0.22

#: parameters that are counts or fixed shapes, not drawn per recording
_FIXED = {"group", "ratios", "harmonics"}


@dataclass(frozen=True)
class Context:
    """Where a voice renders: ``n`` samples at ``sr``; events between ``start`` and ``stop`` s."""

    rng: np.random.Generator
    n: int
    sr: int
    start: float
    stop: float
    freqs: np.ndarray  # rfft frequencies of the FFT size used by sounds.spectrum

    def gate(self, fade: float = 0.05) -> np.ndarray:
        """1 between ``start`` and ``stop`` with short raised-cosine fades, else 0."""
        t = np.arange(self.n, dtype=np.float32) / np.float32(self.sr)
        rise = np.clip((t - self.start) / fade, 0, 1)
        fall = np.clip((self.stop - t) / fade, 0, 1)
        return (np.sin(0.5 * np.pi * np.minimum(rise, fall)) ** 2).astype(np.float32)


def _nyq(ctx: Context, f: float) -> float:
    return float(min(f, 0.42 * ctx.sr))


def _onsets(ctx: Context, p: Mapping[str, Any]) -> np.ndarray:
    return sounds.event_times(
        ctx.rng, rate=p["rate"], start=ctx.start, stop=ctx.stop,
        regularity=min(p.get("regularity", 0.5), 1.0), group=p.get("group", 1),
        group_gap=p.get("group_gap", 0.12),
    )  # fmt: skip


def _syllables(ctx: Context, onsets: np.ndarray, duration: float) -> np.ndarray:
    """Position 0..1 inside the current syllable for every sample (-1 outside syllables)."""
    u = np.full(ctx.n, -1.0, dtype=np.float32)
    m = max(int(duration * ctx.sr), 2)
    ramp = np.arange(m, dtype=np.float32) / np.float32(m)
    for onset in onsets:
        start = int(onset * ctx.sr)
        stop = min(start + m, ctx.n)
        if 0 <= start < stop:
            u[start:stop] = ramp[: stop - start]
    return u


def _calls(ctx: Context, p: Mapping[str, Any]) -> list:
    """Harmonic calls: syllables of a glottal pulse train with glide and vibrato, formants."""
    u = _syllables(ctx, _onsets(ctx, p), p["syllable"])
    inside = u >= 0
    envelope = np.where(inside, np.sin(np.pi * np.clip(u, 0, 1)) ** p.get("shape", 0.5), 0.0)
    t = np.arange(ctx.n, dtype=np.float32) / np.float32(ctx.sr)
    contour = 2.0 ** (p.get("glide", 0.0) * np.sin(np.pi * np.clip(u, 0, 1)) - 0.0)
    vibrato = 1 + p.get("vibrato", 0.0) * np.sin(2 * np.pi * p.get("vibrato_rate", 6.0) * t)
    f0 = np.float32(_nyq(ctx, p["f0"])) * contour * vibrato
    tremolo = 1 + p.get("tremolo", 0.0) * np.sin(2 * np.pi * p.get("tremolo_rate", 12.0) * t)
    envelope = (envelope * tremolo).astype(np.float32)
    pulses = sounds.pulse_train(f0.astype(np.float32), sr=ctx.sr) * envelope
    formants = [(_nyq(ctx, p["f1"]), p["f1"] * 0.3), (_nyq(ctx, p["f2"]), p["f2"] * 0.2)]
    body = sounds.formant_gain(ctx.freqs, formants)
    source = sounds.lowpass_gain(ctx.freqs, 2 * p["f0"], order=p.get("rolloff", 1.0))
    breath = sounds.white_noise(ctx.rng, ctx.n) * envelope
    return [(pulses, body * source, 1.0), (breath, body, p.get("breath", 0.1))]


def _bursts(ctx: Context, p: Mapping[str, Any]) -> list:
    """Noise bursts with an attack and a decay, in a band: claps, steps, knocks, coughs."""
    onsets = _onsets(ctx, p)
    amps = ctx.rng.uniform(0.5, 1.0, onsets.size)
    env = sounds.burst_envelope(ctx.n, sr=ctx.sr, onsets=onsets, attack=p.get("attack", 0.002),
                                decay=p["decay"], hold=p.get("hold", 0.0), amplitudes=amps)
    gain = sounds.band_gain(ctx.freqs, _nyq(ctx, p["center"]), p["octaves"])
    return [(sounds.white_noise(ctx.rng, ctx.n) * env, gain, 1.0)]


def _modal(ctx: Context, p: Mapping[str, Any]) -> list:
    """Struck objects: inharmonic partials with decays (bells, clinks, ticks, glass)."""
    onsets = _onsets(ctx, p)
    ratios = np.asarray(p["ratios"], dtype=float)
    freqs = p["f"] * ratios
    decays = p["decay"] / np.sqrt(ratios / ratios[0])
    amps = 1.0 / np.sqrt(np.arange(1, ratios.size + 1))
    strikes = ctx.rng.uniform(0.6, 1.0, onsets.size)
    y = sounds.partials(ctx.n, sr=ctx.sr, onsets=onsets, freqs=freqs, decays=decays,
                        amplitudes=amps, strikes=strikes)
    click = sounds.burst_envelope(ctx.n, sr=ctx.sr, onsets=onsets, attack=0.0005, decay=0.003)
    return [(y, None, 1.0),
            (sounds.white_noise(ctx.rng, ctx.n) * click, None, p.get("click", 0.3))]


def _droplets(ctx: Context, p: Mapping[str, Any]) -> list:
    """Droplets: short rising sinusoids ringing down, at random times and pitches."""
    onsets = _onsets(ctx, p)
    groups = ctx.rng.integers(0, 6, onsets.size)
    y = np.zeros(ctx.n, dtype=np.float32)
    for k in range(6):
        f = _nyq(ctx, p["f"] * 2 ** ctx.rng.normal(0, p.get("f_spread", 0.3)))
        y += sounds.sweeps(ctx.n, sr=ctx.sr, onsets=onsets[groups == k],
                           duration=4 * p["decay"], f_start=f, f_stop=_nyq(ctx, f * p["rise"]),
                           decay=p["decay"])
    return [(y, None, 1.0)]


def _crackles(ctx: Context, p: Mapping[str, Any]) -> list:
    """Crackles: clustered clicks with heavy-tailed (Pareto) amplitudes, band-limited."""
    onsets = _onsets(ctx, p)
    amps = (ctx.rng.pareto(1.5, onsets.size) + 0.2).astype(np.float32)
    y = np.zeros(ctx.n, dtype=np.float32)
    index = (onsets * ctx.sr).astype(np.int64)
    keep = index < ctx.n
    np.add.at(y, index[keep], amps[keep] * ctx.rng.choice([-1.0, 1.0], keep.sum()))
    gain = sounds.band_gain(ctx.freqs, _nyq(ctx, p["center"]), p["octaves"])
    return [(y, gain, 1.0)]


def _engine(ctx: Context, p: Mapping[str, Any]) -> list:
    """Engines and motors: a pulse train at the firing rate with a slow wobble, a body."""
    t = np.arange(ctx.n, dtype=np.float32) / np.float32(ctx.sr)
    wobble = 1 + p.get("wobble", 0.05) * np.sin(
        2 * np.pi * p.get("wobble_rate", 0.3) * t + ctx.rng.uniform(0, 2 * np.pi))
    rate = (np.float32(_nyq(ctx, p["rate"])) * wobble).astype(np.float32)
    gate = ctx.gate(0.2)
    pulses = sounds.pulse_train(rate, sr=ctx.sr) * gate
    body = sounds.formant_gain(ctx.freqs, [(_nyq(ctx, p["f1"]), p["f1"] * 0.5),
                                           (_nyq(ctx, p["f2"]), p["f2"] * 0.4)])
    am = 1 + p.get("am", 0.0) * np.sin(2 * np.pi * p["rate"] * t)
    noise = sounds.white_noise(ctx.rng, ctx.n) * gate * am.astype(np.float32)
    return [(pulses, body, 1.0), (noise, body, p.get("noise", 0.3))]


def _bed(ctx: Context, p: Mapping[str, Any]) -> list:
    """A continuous noise band that swells and ebbs (wind, sea, a machine, rain's hiss)."""
    t = np.arange(ctx.n, dtype=np.float32) / np.float32(ctx.sr)
    phase = ctx.rng.uniform(0, 2 * np.pi)
    swell = 1 + p.get("depth", 0.3) * np.sin(2 * np.pi * p.get("swell", 0.2) * t + phase)
    env = (ctx.gate(0.3) * swell.astype(np.float32)).astype(np.float32)
    gain = sounds.band_gain(ctx.freqs, _nyq(ctx, p["center"]), p["octaves"])
    return [(sounds.white_noise(ctx.rng, ctx.n) * env, gain, 1.0)]


def _tones(ctx: Context, p: Mapping[str, Any]) -> list:
    """Tone sweeps with harmonics: chirps, trills, sirens, alarms."""
    onsets = _onsets(ctx, p)
    y = np.zeros(ctx.n, dtype=np.float32)
    duration = min(p["duration"], ctx.stop - ctx.start) if p.get("continuous") else p["duration"]
    for h in range(1, p.get("harmonics", 1) + 1):
        y += sounds.sweeps(ctx.n, sr=ctx.sr, onsets=onsets, duration=duration,
                           f_start=_nyq(ctx, h * p["f"]),
                           f_stop=_nyq(ctx, h * p["f"] * p.get("sweep", 1.0)),
                           fm_rate=p.get("fm_rate", 0.0), fm_depth=p.get("fm_depth", 0.0)) / h
    return [(y, None, 1.0)]


#: voice name -> function(ctx, params) -> layers for :func:`sounds.spectrum`
VOICES: dict[str, Callable[[Context, Mapping[str, Any]], list]] = {
    "calls": _calls, "bursts": _bursts, "modal": _modal, "droplets": _droplets,
    "crackles": _crackles, "engine": _engine, "bed": _bed, "tones": _tones,
}  # fmt: skip


def _v(voice: str, **params: Any) -> tuple[str, dict[str, Any]]:
    return voice, params


_BELL = (0.5, 1.0, 1.19, 1.5, 2.0, 2.52, 3.01)
_GLASS = (1.0, 1.47, 2.09, 2.56, 3.31, 4.1)
_METAL = (1.0, 2.76, 5.4)
_WOOD = (1.0, 1.6, 2.3)

#: class name -> voices with the centre of the class's parameter region
RECIPES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    # -- animals: harmonic calls, formant-shaped, with vibrato or tremolo -------------------
    "dog": [_v("calls", f0=420, syllable=0.14, rate=1.6, f1=900, f2=1900, breath=0.3,
               glide=-0.3, group=2, group_gap=0.25, regularity=0.3)],
    "rooster": [_v("calls", f0=520, syllable=1.3, rate=0.35, f1=1200, f2=2600, breath=0.15,
                   glide=0.5, vibrato=0.03, shape=0.3, regularity=0.7)],
    "pig": [_v("calls", f0=140, syllable=0.22, rate=2.0, f1=600, f2=1500, breath=0.8,
               tremolo=0.6, tremolo_rate=25, regularity=0.2)],
    "cow": [_v("calls", f0=130, syllable=1.4, rate=0.4, f1=500, f2=1100, breath=0.2,
               glide=-0.2, regularity=0.5, shape=0.4)],
    "frog": [_v("calls", f0=320, syllable=0.3, rate=1.8, f1=800, f2=1600, breath=0.1,
                tremolo=0.9, tremolo_rate=35, regularity=0.8)],
    "cat": [_v("calls", f0=620, syllable=0.8, rate=0.6, f1=1100, f2=2800, breath=0.15,
               glide=0.6, vibrato=0.02, regularity=0.4)],
    "hen": [_v("calls", f0=380, syllable=0.1, rate=3.5, f1=1000, f2=2300, breath=0.3,
               glide=0.2, regularity=0.3)],
    "insects": [_v("calls", f0=220, syllable=2.5, rate=0.35, f1=2000, f2=4500, breath=0.2,
                   rolloff=0.3, vibrato=0.02, tremolo=0.3, tremolo_rate=8, regularity=0.8,
                   shape=0.15)],
    "sheep": [_v("calls", f0=300, syllable=0.9, rate=0.5, f1=900, f2=2100, breath=0.25,
                 tremolo=0.5, tremolo_rate=9, vibrato=0.04, vibrato_rate=9)],
    "crow": [_v("calls", f0=700, syllable=0.35, rate=1.2, f1=1300, f2=2400, breath=0.9,
                glide=-0.2, group=2, group_gap=0.5, regularity=0.4)],
    # -- natural soundscapes: beds, droplets, crackles ---------------------------------------
    "rain": [_v("bed", center=3000, octaves=1.6, swell=0.1, depth=0.1),
             _v("droplets", rate=90, f=3500, decay=0.004, rise=1.3, regularity=0.0)],
    "sea_waves": [_v("bed", center=700, octaves=1.8, swell=0.12, depth=0.9)],
    "crackling_fire": [_v("bed", center=180, octaves=0.8, swell=0.2, depth=0.3),
                       _v("crackles", rate=25, center=3000, octaves=1.2, regularity=0.0)],
    "crickets": [_v("tones", f=4500, duration=0.025, rate=18, group=3, group_gap=0.035,
                    regularity=0.9)],
    "chirping_birds": [_v("tones", f=3500, duration=0.09, rate=5, sweep=1.5, fm_rate=30,
                          fm_depth=0.1, regularity=0.2),
                       _v("bed", center=2000, octaves=1.5, swell=0.1, depth=0.2)],
    "water_drops": [_v("droplets", rate=3, f=1400, decay=0.03, rise=1.6, f_spread=0.2,
                       regularity=0.3)],
    "wind": [_v("bed", center=350, octaves=1.2, swell=0.25, depth=0.7)],
    "pouring_water": [_v("bed", center=1400, octaves=1.0, swell=0.4, depth=0.2),
                      _v("droplets", rate=50, f=900, decay=0.01, rise=1.4, regularity=0.0)],
    "toilet_flush": [_v("bed", center=1000, octaves=1.4, swell=0.15, depth=0.8),
                     _v("droplets", rate=25, f=600, decay=0.015, rise=1.5, regularity=0.0)],
    "thunderstorm": [_v("bed", center=90, octaves=1.2, swell=0.3, depth=0.8),
                     _v("droplets", rate=40, f=3000, decay=0.004, rise=1.3, regularity=0.0)],
    # -- human, non-speech: calls and noise bursts -------------------------------------------
    "crying_baby": [_v("calls", f0=460, syllable=0.9, rate=0.8, f1=1200, f2=3000,
                       breath=0.25, vibrato=0.04, vibrato_rate=7, glide=0.3, regularity=0.6)],
    "sneezing": [_v("bursts", rate=0.5, decay=0.12, hold=0.05, attack=0.08, center=3500,
                    octaves=1.0, regularity=0.3)],
    "clapping": [_v("bursts", rate=4.0, decay=0.012, center=1800, octaves=1.0,
                    regularity=0.8)],
    "breathing": [_v("bursts", rate=0.6, decay=0.35, attack=0.3, center=1300, octaves=1.1,
                     regularity=0.8)],
    "coughing": [_v("bursts", rate=1.2, decay=0.1, attack=0.01, center=900, octaves=0.9,
                    group=2, group_gap=0.3, regularity=0.3),
                 _v("calls", f0=250, syllable=0.12, rate=1.2, f1=800, f2=1700, breath=1.5,
                    group=2, group_gap=0.3, regularity=0.3)],
    "footsteps": [_v("bursts", rate=1.8, decay=0.03, center=450, octaves=1.1,
                     regularity=0.85)],
    "laughing": [_v("calls", f0=280, syllable=0.11, rate=1.0, f1=800, f2=1600, breath=0.6,
                    group=5, group_gap=0.16, regularity=0.4)],
    "brushing_teeth": [_v("bursts", rate=7.0, decay=0.05, attack=0.03, center=4500,
                          octaves=0.9, regularity=0.8)],
    "snoring": [_v("calls", f0=70, syllable=1.2, rate=0.35, f1=450, f2=900, breath=1.2,
                   rolloff=0.5, regularity=0.9)],
    "drinking_sipping": [_v("bursts", rate=1.5, decay=0.05, attack=0.01, center=700,
                            octaves=0.8, regularity=0.6),
                         _v("droplets", rate=4, f=500, decay=0.02, rise=1.8)],
    # -- interior / domestic: bursts, struck objects, motors ---------------------------------
    "door_wood_knock": [_v("modal", rate=0.7, f=280, ratios=_WOOD, decay=0.02, group=3,
                           group_gap=0.14, click=1.0, regularity=0.5)],
    "mouse_click": [_v("modal", rate=1.5, f=2600, ratios=_METAL, decay=0.004, group=2,
                       group_gap=0.09, click=2.0, regularity=0.4)],
    "keyboard_typing": [_v("modal", rate=7.0, f=1800, ratios=_WOOD, decay=0.006, click=1.5,
                           regularity=0.2)],
    "door_wood_creaks": [_v("calls", f0=45, syllable=1.2, rate=0.45, f1=700, f2=1800,
                            breath=0.1, glide=1.2, rolloff=0.2, regularity=0.5, shape=0.3)],
    "can_opening": [_v("bursts", rate=0.4, decay=0.25, attack=0.005, center=4000, octaves=1.0,
                       regularity=0.5),
                    _v("modal", rate=0.4, f=2200, ratios=_METAL, decay=0.03, regularity=0.5)],
    "washing_machine": [_v("engine", rate=18, f1=200, f2=900, wobble=0.1, wobble_rate=0.8,
                           noise=1.0, am=0.4),
                        _v("bed", center=600, octaves=1.2, swell=0.8, depth=0.6)],
    "vacuum_cleaner": [_v("bed", center=2500, octaves=1.6, swell=0.05, depth=0.1),
                       _v("engine", rate=220, f1=900, f2=3000, wobble=0.01, noise=0.5)],
    "clock_alarm": [_v("modal", rate=14, f=2400, ratios=_METAL, decay=0.04, regularity=1.0,
                       click=0.2)],
    "clock_tick": [_v("modal", rate=2.0, f=3200, ratios=_METAL, decay=0.006, regularity=1.0,
                      click=1.0)],
    "glass_breaking": [_v("modal", rate=6.0, f=3000, ratios=_GLASS, decay=0.06, click=1.0,
                          regularity=0.0),
                       _v("crackles", rate=30, center=5000, octaves=0.8, regularity=0.0)],
    # -- exterior / urban: engines, sirens, horns, bells -------------------------------------
    "helicopter": [_v("engine", rate=22, f1=120, f2=600, wobble=0.03, noise=0.6, am=0.9),
                   _v("bed", center=300, octaves=1.2, swell=0.1, depth=0.2)],
    "chainsaw": [_v("engine", rate=110, f1=1400, f2=3200, wobble=0.15, wobble_rate=0.6,
                    noise=0.4)],
    "siren": [_v("tones", f=800, duration=5.0, rate=0.1, continuous=True, fm_rate=0.4,
                 fm_depth=0.5, harmonics=3, regularity=1.0)],
    "car_horn": [_v("calls", f0=420, syllable=0.7, rate=0.5, f1=1600, f2=3000, breath=0.02,
                    rolloff=0.3, shape=0.05, regularity=0.5)],
    "engine": [_v("engine", rate=35, f1=250, f2=800, wobble=0.05, wobble_rate=0.3,
                  noise=0.4)],
    "train": [_v("bed", center=500, octaves=1.5, swell=0.1, depth=0.3),
              _v("bursts", rate=3.0, decay=0.04, center=700, octaves=1.0, group=2,
                 group_gap=0.15, regularity=0.9)],
    "church_bells": [_v("modal", rate=0.8, f=420, ratios=_BELL, decay=1.2, click=0.1,
                        regularity=0.9)],
    "airplane": [_v("bed", center=400, octaves=1.6, swell=0.06, depth=0.4),
                 _v("engine", rate=90, f1=1000, f2=2500, wobble=0.02, noise=0.3)],
    "fireworks": [_v("bursts", rate=0.8, decay=0.3, attack=0.003, center=180, octaves=1.2,
                     regularity=0.2),
                  _v("crackles", rate=15, center=2500, octaves=1.2, regularity=0.0)],
    "hand_saw": [_v("bursts", rate=2.2, decay=0.12, attack=0.12, hold=0.1, center=3000,
                    octaves=0.8, regularity=0.85)],
}
assert tuple(RECIPES) == CLASSES, "one recipe per ESC-50 class, in target order"


def draw_params(
    rng: np.random.Generator, recipe: list[tuple[str, dict[str, Any]]], *, spread: float = SPREAD
) -> list[tuple[str, dict[str, Any]]]:
    """One recording's parameters: every continuous value times ``exp(spread * N(0, 1))``.

    Examples
    --------
    >>> params = draw_params(np.random.default_rng(0), RECIPES["dog"])
    >>> params[0][0], round(params[0][1]["f0"] / RECIPES["dog"][0][1]["f0"], 2)
    ('calls', 1.03)
    """
    drawn = []
    for voice, params in recipe:
        out = {}
        for key, value in params.items():
            if key in _FIXED or isinstance(value, bool | tuple):
                out[key] = value
            else:
                out[key] = float(value) * float(np.exp(spread * rng.normal()))
        drawn.append((voice, out))
    return drawn


def voice_layers(ctx: Context, params: list[tuple[str, dict[str, Any]]]) -> list:
    """All layers of a recipe's voices, ready for :func:`sounds.spectrum`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ctx = Context(rng, 8000, 8000, 0.0, 1.0, np.fft.rfftfreq(16000, 1 / 8000))
    >>> len(voice_layers(ctx, RECIPES["dog"]))
    2
    """
    layers = []
    for voice, p in params:
        layers += VOICES[voice](ctx, p)
    return layers
