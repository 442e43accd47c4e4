"""Audio features: a readable NumPy reference with librosa's names, parameters and defaults.

Every function here is written from NumPy and matches librosa's output (tests compare
against librosa directly). The batched torch versions live in
:mod:`machinehearing.transforms`.
"""

from .._lazy import attach

_NAMES = {
    # spectral.py
    **{
        name: ".spectral"
        for name in [
            "get_window",
            "fft_frequencies",
            "stft",
            "magnitude_spectrum",
            "power_to_db",
            "amplitude_to_db",
            "db_to_power",
            "db_to_amplitude",
            "spectral_centroid",
            "spectral_bandwidth",
            "spectral_rolloff",
            "spectral_contrast",
            "zero_crossing_rate",
            "rms",
        ]
    },
    # mel.py
    **{
        name: ".mel"
        for name in [
            "hz_to_mel",
            "mel_to_hz",
            "mel_frequencies",
            "mel_filterbank",
            "melspectrogram",
            "dct",
            "mfcc",
            "delta",
        ]
    },
    # pitch.py
    **{
        name: ".pitch"
        for name in [
            "piptrack",
            "pitch_tuning",
            "estimate_tuning",
            "chroma_filterbank",
            "chroma_stft",
            "cqt",
        ]
    },
    # images.py
    **{
        name: ".images"
        for name in [
            "Stage",
            "Feature",
            "FeatureSpec",
            "FEATURES",
            "PRESETS",
            "STANDARDIZE_RULES",
            "parse_specs",
            "compute",
            "to_image",
            "resize",
            "resize_weights",
            "standardize",
            "stack",
            "extract",
        ]
    },
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
