"""Batched torch versions of the audio features, for CPU and GPU.

Every module here computes the same numbers as the NumPy reference in
:mod:`machinehearing.features` (and therefore as librosa), for a whole batch of
clips at once and on whatever device the input lives on.  Filter banks, windows
and DCT matrices are built once by the NumPy reference and stored as buffers, so
``module.to("cuda")`` moves them with the module.

Shapes follow librosa with a leading batch: a waveform batch ``(..., samples)``
becomes ``(..., rows, frames)``.  Everything is computed in float32 (except
:class:`SpectralContrast`, see there).

How the mel spectrogram is computed: the alternatives, measured on the 2-core
CPU with torch's 2 threads, 64 clips of 5 s at 44.1 kHz, ``n_fft=2048``,
``hop_length=512``, in ms per clip (librosa's melspectrogram: 3.4-6 ms;
``benchmarks/features.py`` prints the current comparison):

=======================================================  ======
``torch.stft`` alone (whole batch)                          3.0
``torch.stft`` + ``|X|**2`` + mel matmul (whole batch)      5.6
``rfft`` of ``unfold``-ed frames + power + mel, batch       5.9
the same, 8 clips at a time                                 2.3
the same, one clip at a time                                1.7
=======================================================  ======

One clip at a time keeps the frames (3.5 MB) in cache, so on the CPU the batch is
processed clip by clip; on a GPU the whole batch goes through at once.  Within a
clip: windowing 0.05 ms, ``rfft`` 0.42 ms, power ``X.real**2 + X.imag**2`` 0.2 ms
(``view_as_real(X).square().sum(-1)`` 0.95 ms, ``abs(X)**2`` 1.2 ms), dense mel
matmul 0.58 ms.  A mel filter bank is almost empty (each filter covers a few
bins), so the matmul is done in blocks of 16 filters over only the bins those
filters touch: 0.2 ms (blocks of 4: 0.7, 8: 0.5, 32: 0.24 ms).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .errors import AudioError, ParameterError
from .features.images import (
    _CONSTANT_RTOL,
    FEATURES,
    _check_size,
    _rule,
    extract,
    parse_specs,
    resize_weights,
)
from .features.mel import dct, delta, mel_filterbank
from .features.pitch import chroma_filterbank
from .features.spectral import (
    _check_pad_mode,
    _check_positive_int,
    _check_stft,
    _contrast_bands,
    fft_frequencies,
    get_window,
)

__all__ = [
    "Spectrogram",
    "MelSpectrogram",
    "AmplitudeToDB",
    "MFCC",
    "Delta",
    "Chroma",
    "SpectralContrast",
    "ToImage",
    "NumpyFallbackWarning",
    "FeatureExtractor",
]

_PAD_MODES = ("constant", "reflect")
#: filters per block of the sparse filter-bank product (fastest measured, see module docstring)
_BLOCK_ROWS = 16


# --------------------------------------------------------------------------- helpers


def _check_audio(y: Tensor, name: str = "y") -> Tensor:
    """Validate a waveform batch (time on the last axis) and return it as float32."""
    if not isinstance(y, Tensor):
        raise AudioError(
            f"{name} must be a torch.Tensor, got {type(y).__name__}: use torch.as_tensor"
        )
    if not y.is_floating_point():
        raise AudioError(f"{name} must be floating-point audio, got dtype {y.dtype}")
    if y.ndim == 0 or y.shape[-1] == 0:
        raise AudioError(f"{name} must have samples on its last axis, got shape {tuple(y.shape)}")
    if not bool(torch.isfinite(y).all()):
        raise AudioError(f"{name} contains non-finite samples (NaN or inf)")
    return y.to(torch.float32)


def _chunk_size(x: Tensor) -> int:
    """Items processed together: one on the CPU (stays in cache), all on a GPU."""
    return 1 if x.device.type == "cpu" else max(x.shape[0], 1)


def _flatten(x: Tensor, core: int) -> tuple[Tensor, tuple[int, ...]]:
    """View ``x`` as ``(N, *last core dims)`` and return the leading shape."""
    lead = tuple(x.shape[: x.ndim - core])
    return x.reshape((-1, *x.shape[x.ndim - core :])), lead


def _power_to_db(
    S: Tensor, *, multiplier: float, ref: float | str, amin: float, top_db: float | None
) -> Tensor:
    """``multiplier * log10(S / ref)`` with floors, reference and top_db per item (last 2 dims)."""
    db = torch.clamp(S, min=amin).log10_().mul_(multiplier)
    if ref == "max":
        peak = S.amax(dim=(-2, -1), keepdim=True)
        db.sub_(multiplier * torch.log10(torch.clamp(peak, min=amin)))
    else:
        db.sub_(multiplier * math.log10(max(abs(ref), amin)))
    if top_db is not None:
        db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - top_db)
    return db


def _sort_last(x: Tensor) -> Tensor:
    """``x`` sorted along its last axis.

    On the CPU, NumPy's vectorised sort is used: for the bands of one 5 s clip it
    takes 1 ms, against 35 ms for ``torch.sort`` and 15 ms for two ``torch.topk``.
    """
    if x.device.type == "cpu":
        return torch.from_numpy(np.sort(x.detach().numpy(), axis=-1))
    return torch.sort(x, dim=-1).values


class _FilterBank(nn.Module):
    """Product ``S @ weights.T`` of frames-major spectra with a (mostly empty) filter bank.

    The filters are taken in blocks of ``_BLOCK_ROWS`` rows and each block is
    multiplied with only the columns (frequency bins) it touches.
    """

    def __init__(self, weights: np.ndarray):
        super().__init__()
        weights = np.asarray(weights, dtype=np.float32)
        self.register_buffer("weights_t", torch.from_numpy(weights.T.copy()))
        self.blocks: list[tuple[int, int, int, int]] = []
        for r0 in range(0, weights.shape[0], _BLOCK_ROWS):
            r1 = min(r0 + _BLOCK_ROWS, weights.shape[0])
            cols = np.flatnonzero(np.any(weights[r0:r1] != 0, axis=0))
            if cols.size:
                self.blocks.append((r0, r1, int(cols[0]), int(cols[-1]) + 1))

    def forward(self, S: Tensor) -> Tensor:
        out = S.new_zeros((*S.shape[:-1], self.weights_t.shape[1]))
        for r0, r1, c0, c1 in self.blocks:
            out[..., r0:r1] = S[..., c0:c1] @ self.weights_t[c0:c1, r0:r1]
        return out


# --------------------------------------------------------------------------- modules


class Spectrogram(nn.Module):
    """Short-time Fourier transform of a batch: librosa's ``stft`` (and ``|stft|**power``).

    Frames are centred (``center=True`` pads ``n_fft // 2`` samples on both
    sides), windowed by a periodic window of ``win_length`` samples zero-padded
    to ``n_fft`` in the middle, exactly as :func:`librosa.stft`.

    Parameters
    ----------
    n_fft : int > 0
        FFT size.
    hop_length : int > 0 or None
        Samples between frames; ``None`` means ``win_length // 4``.
    win_length : int <= n_fft or None
        Window length; ``None`` means ``n_fft``.
    window : str or tuple
        Window name, as accepted by :func:`machinehearing.features.get_window`.
    center : bool
        Centre the frames on ``t * hop_length``.
    pad_mode : {"constant", "reflect"}
        Padding used when ``center`` is true.
    power : float > 0 or None
        Exponent of the magnitude: 2 for power, 1 for magnitude, ``None`` for
        the complex STFT.
    dtype : torch.float32 or torch.float64
        Precision of the computation and of the output (complex64 or
        complex128 when ``power`` is None).  A float32 FFT is off by about
        1e-7 of the largest magnitude, which matters only in the quietest
        bins (librosa computes its FFT in float64 and rounds the result).

    Examples
    --------
    >>> import torch
    >>> spec = Spectrogram(n_fft=512, hop_length=128)
    >>> spec(torch.zeros(3, 4000)).shape
    torch.Size([3, 257, 32])
    >>> Spectrogram(n_fft=512, power=None)(torch.ones(1, 1024)).dtype
    torch.complex64
    """

    window: Tensor

    def __init__(
        self,
        *,
        n_fft: int = 2048,
        hop_length: int | None = None,
        win_length: int | None = None,
        window: str | tuple = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        power: float | None = 2.0,
        dtype: torch.dtype = torch.float32,
    ):
        super().__init__()

        self.n_fft, self.hop_length, self.win_length = _check_stft(n_fft, hop_length, win_length)
        if _check_pad_mode(pad_mode) not in _PAD_MODES:
            raise ParameterError(
                f"pad_mode={pad_mode!r} is not implemented in torch: use one of {_PAD_MODES}"
            )
        if power is not None and not power > 0:
            raise ParameterError(f"power={power!r} must be positive (or None for complex output)")
        if dtype not in (torch.float32, torch.float64):
            raise ParameterError(f"dtype={dtype} must be torch.float32 or torch.float64")
        self.center, self.pad_mode, self.power = bool(center), pad_mode, power
        padded = np.zeros(self.n_fft)
        start = (self.n_fft - self.win_length) // 2
        padded[start : start + self.win_length] = get_window(window, self.win_length, fftbins=True)
        self.register_buffer("window", torch.from_numpy(padded).to(dtype))

    @property
    def n_bins(self) -> int:
        """Number of frequency bins, ``1 + n_fft // 2``.

        Examples
        --------
        >>> Spectrogram(n_fft=2048).n_bins
        1025
        """
        return 1 + self.n_fft // 2

    def n_frames(self, n_samples: int) -> int:
        """Number of frames for a signal of ``n_samples`` samples.

        Examples
        --------
        >>> Spectrogram(n_fft=2048, hop_length=512).n_frames(44100)
        87
        """
        padded = n_samples + 2 * (self.n_fft // 2) if self.center else n_samples
        if padded < self.n_fft:
            raise ParameterError(
                f"n_fft={self.n_fft} is too large for a signal of {n_samples} samples "
                "with center=False: use a smaller n_fft or center=True"
            )
        return 1 + (padded - self.n_fft) // self.hop_length

    def frames(self, y: Tensor) -> Tensor:
        """``|STFT|**power`` of a ``(batch, samples)`` chunk as ``(batch, frames, bins)``.

        Examples
        --------
        >>> import torch
        >>> Spectrogram(n_fft=256, hop_length=64).frames(torch.zeros(2, 1000)).shape
        torch.Size([2, 16, 129])
        """
        self.n_frames(y.shape[-1])
        y = y.to(self.window.dtype)
        if self.center:
            y = F.pad(y, (self.n_fft // 2, self.n_fft // 2), mode=self.pad_mode)
        X = torch.fft.rfft(y.unfold(-1, self.n_fft, self.hop_length) * self.window, dim=-1)
        if self.power is None:
            return X
        S = X.real.square() + X.imag.square()
        if self.power == 2:
            return S
        return S.sqrt_() if self.power == 1 else S.pow_(self.power / 2)

    def map_frames(self, y: Tensor, fn: Callable[[Tensor], Tensor], n_out: int) -> Tensor:
        """Apply ``fn`` to the frames-major spectrogram, chunk by chunk, and put time last.

        Parameters
        ----------
        y : Tensor [shape=(..., samples)]
            Waveforms.
        fn : callable
            Maps ``(batch, frames, bins)`` to ``(batch, frames, n_out)``.
        n_out : int
            Size of ``fn``'s last axis.

        Returns
        -------
        Tensor [shape=(..., n_out, frames)]

        Examples
        --------
        >>> import torch
        >>> spec = Spectrogram(n_fft=256, hop_length=64)
        >>> total = spec.map_frames(torch.ones(2, 1000), lambda S: S.sum(-1, keepdim=True), 1)
        >>> total.shape
        torch.Size([2, 1, 16])
        """
        flat, lead = _flatten(_check_audio(y), 1)
        n_frames = self.n_frames(flat.shape[-1])
        dtype = self.window.dtype if self.power is not None else self.window.dtype.to_complex()
        out = flat.new_empty((flat.shape[0], n_out, n_frames), dtype=dtype)
        step = _chunk_size(flat)
        for start in range(0, flat.shape[0], step):
            # transposed while the chunk is still in cache
            out[start : start + step] = fn(self.frames(flat[start : start + step])).transpose(
                -1, -2
            )
        return out.reshape(*lead, n_out, n_frames)

    def forward(self, y: Tensor) -> Tensor:
        """Spectrogram ``(..., 1 + n_fft // 2, frames)`` of waveforms ``(..., samples)``."""
        return self.map_frames(y, lambda S: S, self.n_bins)


class MelSpectrogram(nn.Module):
    """Mel spectrogram of a batch: librosa's ``feature.melspectrogram``.

    The power (or magnitude) spectrogram of each clip is multiplied by the mel
    filter bank of :func:`machinehearing.features.mel_filterbank` (a buffer,
    ``mel_basis``) while it is still in cache.

    Parameters
    ----------
    sr : number > 0
        Sampling rate of the input.
    n_fft, hop_length, win_length, window, center, pad_mode, power
        As in :class:`Spectrogram` (``hop_length`` defaults to 512 as in librosa).
    n_mels, fmin, fmax, htk, norm
        As in :func:`machinehearing.features.mel_filterbank`.

    Examples
    --------
    >>> import torch
    >>> mel = MelSpectrogram(sr=16000, n_fft=1024, hop_length=256, n_mels=64)
    >>> mel(torch.randn(4, 16000)).shape
    torch.Size([4, 64, 63])
    """

    def __init__(
        self,
        *,
        sr: float,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str | tuple = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        power: float = 2.0,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: float | None = None,
        htk: bool = False,
        norm: str | float | None = "slaney",
    ):
        super().__init__()

        if power is None:
            raise ParameterError("power=None (complex) is not possible for a mel spectrogram")
        self.spectrogram = Spectrogram(
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=power,
        )
        basis = mel_filterbank(
            sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm
        )
        self.mel_basis = _FilterBank(basis)
        self.n_mels = int(n_mels)

    def forward(self, y: Tensor) -> Tensor:
        """Mel spectrogram ``(..., n_mels, frames)`` of waveforms ``(..., samples)``."""
        return self.spectrogram.map_frames(y, self.mel_basis, self.n_mels)


class AmplitudeToDB(nn.Module):
    """Decibels of a power or magnitude spectrogram: librosa's ``power_to_db``/``amplitude_to_db``.

    Each item (the last two axes) is treated like one librosa call: with
    ``ref="max"`` the reference is that item's maximum (librosa's ``ref=np.max``),
    and ``top_db`` clips each item ``top_db`` below its own peak.

    Parameters
    ----------
    stype : {"power", "magnitude"}
        What the input holds: ``10 log10`` for power, ``20 log10`` for magnitude.
    ref : float or "max"
        Reference value (0 dB), or ``"max"`` for each item's maximum.
    amin : float > 0 or None
        Floor applied before the logarithm; ``None`` means librosa's default
        (1e-10 for power, 1e-5 for magnitude).
    top_db : float >= 0 or None
        Dynamic range kept below each item's peak.

    Examples
    --------
    >>> import torch
    >>> to_db = AmplitudeToDB(stype="power", ref="max", top_db=80.0)
    >>> to_db(torch.tensor([[[1.0, 0.1, 1e-12]]]))
    tensor([[[  0., -10., -80.]]])
    """

    def __init__(
        self,
        *,
        stype: str = "power",
        ref: float | str = 1.0,
        amin: float | None = None,
        top_db: float | None = 80.0,
    ):
        super().__init__()
        if stype not in ("power", "magnitude"):
            raise ParameterError(f"stype={stype!r} must be 'power' or 'magnitude'")
        if isinstance(ref, str) and ref != "max":
            raise ParameterError(f"ref={ref!r} must be a number or 'max'")
        amin = (1e-10 if stype == "power" else 1e-5) if amin is None else amin
        if not amin > 0:
            raise ParameterError(f"amin={amin!r} must be strictly positive")
        if top_db is not None and top_db < 0:
            raise ParameterError(f"top_db={top_db!r} must be non-negative (or None)")
        self.stype, self.ref, self.amin, self.top_db = stype, ref, float(amin), top_db

    def forward(self, S: Tensor) -> Tensor:
        """Decibels of ``S`` (``(..., rows, frames)``, non-negative)."""
        return _power_to_db(
            S,
            multiplier=10.0 if self.stype == "power" else 20.0,
            ref=self.ref,
            amin=self.amin,
            top_db=self.top_db,
        )


class MFCC(nn.Module):
    """Mel-frequency cepstral coefficients of a batch: librosa's ``feature.mfcc``.

    As in librosa: the mel power spectrogram in dB (``ref=1.0``, ``top_db=80``
    per clip), its DCT along the mel axis (the matrix of
    :func:`machinehearing.features.dct`, a buffer), the first
    ``n_mfcc`` rows, then optional liftering
    ``1 + lifter / 2 * sin(pi * (k + 1) / lifter)``.

    Parameters
    ----------
    sr : number > 0
        Sampling rate.
    n_mfcc : int > 0
        Number of coefficients (at most ``n_mels``).
    dct_type : {1, 2, 3}
        DCT type.
    norm : "ortho" or None
        DCT normalisation.
    lifter : float >= 0
        Cepstral liftering; 0 disables it.
    mel_norm : "slaney", float or None
        Normalisation of the mel filters (librosa's ``mel_norm``).
    **mel_kwargs
        Other :class:`MelSpectrogram` options (``n_fft``, ``hop_length``,
        ``n_mels``, ``fmin``, ``fmax``, ``htk``, ...).

    Examples
    --------
    >>> import torch
    >>> mfcc = MFCC(sr=16000, n_mfcc=13, n_fft=512, hop_length=160, n_mels=40)
    >>> mfcc(torch.randn(2, 16000)).shape
    torch.Size([2, 13, 101])
    """

    def __init__(
        self,
        *,
        sr: float,
        n_mfcc: int = 20,
        dct_type: int = 2,
        norm: str | None = "ortho",
        lifter: float = 0.0,
        mel_norm: str | float | None = "slaney",
        **mel_kwargs,
    ):
        super().__init__()
        self.melspectrogram = MelSpectrogram(sr=sr, norm=mel_norm, **mel_kwargs)
        self.cepstrum = _Cepstrum(
            n_mels=self.melspectrogram.n_mels,
            n_mfcc=n_mfcc,
            dct_type=dct_type,
            norm=norm,
            lifter=lifter,
        )

    def forward(self, y: Tensor) -> Tensor:
        """Coefficients ``(..., n_mfcc, frames)`` of waveforms ``(..., samples)``."""
        return self.cepstrum(self.melspectrogram(y))


class _Cepstrum(nn.Module):
    """MFCC from a mel power spectrogram: dB (``ref=1``, ``top_db=80``), DCT, lifter."""

    dct_matrix: Tensor
    lifter_weights: Tensor

    def __init__(self, *, n_mels: int, n_mfcc: int, dct_type: int, norm: str | None, lifter):
        super().__init__()
        self.n_mfcc = _check_positive_int(n_mfcc, "n_mfcc")
        if self.n_mfcc > n_mels:
            raise ParameterError(f"n_mfcc={n_mfcc} must not exceed n_mels={n_mels}")
        if lifter < 0:
            raise ParameterError(f"lifter={lifter!r} must be a non-negative number")
        # the DCT of the identity is the DCT matrix: column j is the transform of e_j
        basis = dct(np.eye(n_mels), type=dct_type, norm=norm, axis=-2)[: self.n_mfcc]
        self.register_buffer("dct_matrix", torch.as_tensor(basis, dtype=torch.float32))
        k = np.arange(1, 1 + self.n_mfcc)
        weights = 1 + lifter / 2 * np.sin(np.pi * k / lifter) if lifter > 0 else np.ones(k.size)
        self.register_buffer(
            "lifter_weights", torch.as_tensor(weights[:, None], dtype=torch.float32)
        )

    def forward(self, S: Tensor) -> Tensor:
        S_db = _power_to_db(S, multiplier=10.0, ref=1.0, amin=1e-10, top_db=80.0)
        return (self.dct_matrix @ S_db) * self.lifter_weights


class Delta(nn.Module):
    """Delta features along the last axis: librosa's ``feature.delta`` (``mode="interp"``).

    A Savitzky-Golay derivative: the ``order``-th derivative of the
    least-squares polynomial of degree ``order`` fitted to ``width`` frames.
    Inside, it is a convolution; at the first and last ``width // 2`` frames the
    polynomial fitted to the first (last) ``width`` frames is used.  Both come
    from one ``(width, width)`` matrix, obtained by applying the NumPy reference
    :func:`machinehearing.features.delta` to the identity (row ``width // 2`` is
    the convolution kernel, the rows above and below are the edge weights).

    Parameters
    ----------
    width : odd int >= 3
        Number of frames in the fit.
    order : int > 0
        Derivative order.

    Examples
    --------
    >>> import torch
    >>> ramp = torch.arange(12.0).reshape(1, 12) * 2
    >>> Delta(width=5)(ramp).round()
    tensor([[2., 2., 2., 2., 2., 2., 2., 2., 2., 2., 2., 2.]])
    """

    weights: Tensor

    def __init__(self, *, width: int = 9, order: int = 1):
        super().__init__()

        width = _check_positive_int(width, "width")
        if width < 3 or width % 2 != 1:
            raise ParameterError(f"width={width} must be an odd integer >= 3")
        self.order = _check_positive_int(order, "order")
        self.width = width
        weights = delta(np.eye(width), width=width, order=self.order, axis=-1).T
        self.register_buffer("weights", torch.as_tensor(weights, dtype=torch.float32))

    def forward(self, x: Tensor) -> Tensor:
        """Deltas of ``x`` (``(..., frames)``, at least ``width`` frames), same shape."""
        if x.shape[-1] < self.width:
            raise ParameterError(
                f"width={self.width} cannot exceed the number of frames {x.shape[-1]}: "
                "use a smaller width or a longer signal"
            )
        flat, lead = _flatten(x.to(torch.float32), 1)
        half = self.width // 2
        out = torch.empty_like(flat)
        kernel = self.weights[half].reshape(1, 1, -1)
        out[:, half:-half] = F.conv1d(flat.unsqueeze(1), kernel).squeeze(1)
        out[:, :half] = flat[:, : self.width] @ self.weights[:half].T
        out[:, -half:] = flat[:, -self.width :] @ self.weights[half + 1 :].T
        return out.reshape(*lead, flat.shape[-1])


class Chroma(nn.Module):
    """Chromagram of a batch: librosa's ``feature.chroma_stft`` with a fixed tuning.

    The power spectrogram times the chroma filter bank of
    :func:`machinehearing.features.chroma_filterbank`, each frame then divided
    by its ``norm`` (frames whose norm is below the float32 ``tiny`` are left
    unscaled, as in ``librosa.util.normalize``).

    Parameters
    ----------
    sr : number > 0
        Sampling rate.
    n_fft, hop_length, win_length, window, center, pad_mode
        As in :class:`Spectrogram` (``hop_length`` defaults to 512).
    norm : float or None
        Per-frame normalisation: ``inf`` (max), 1, 2, or None.
    tuning : float
        Tuning deviation in fractions of a bin (no estimation: 0 by default).
    n_chroma : int
        Number of chroma bins.

    Examples
    --------
    >>> import math, torch
    >>> t = torch.arange(22050) / 22050
    >>> a4 = torch.sin(2 * math.pi * 440 * t).reshape(1, -1)
    >>> Chroma(sr=22050)(a4).mean(-1).argmax().item()  # 9 = A, counting from C
    9
    """

    def __init__(
        self,
        *,
        sr: float,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str | tuple = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        norm: float | None = math.inf,
        tuning: float = 0.0,
        n_chroma: int = 12,
    ):
        super().__init__()

        if norm not in (math.inf, 1, 2, None):
            raise ParameterError(f"norm={norm!r} must be one of inf, 1, 2 or None")
        self.spectrogram = Spectrogram(
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=2.0,
        )
        self.n_chroma = _check_positive_int(n_chroma, "n_chroma")
        basis = chroma_filterbank(sr=sr, n_fft=n_fft, n_chroma=self.n_chroma, tuning=tuning)
        self.chroma_basis = _FilterBank(basis)
        self.norm = norm

    def _frames(self, S: Tensor) -> Tensor:
        chroma = self.chroma_basis(S)
        if self.norm is None:
            return chroma
        if self.norm == math.inf:
            length = chroma.abs().amax(dim=-1, keepdim=True)
        else:
            length = torch.linalg.vector_norm(chroma, ord=self.norm, dim=-1, keepdim=True)
        tiny = torch.finfo(torch.float32).tiny
        return chroma / torch.where(length < tiny, torch.ones_like(length), length)

    def forward(self, y: Tensor) -> Tensor:
        """Chromagram ``(..., n_chroma, frames)`` of waveforms ``(..., samples)``."""
        return self.spectrogram.map_frames(y, self._frames, self.n_chroma)


class SpectralContrast(nn.Module):
    """Spectral contrast of a batch: librosa's ``feature.spectral_contrast``.

    For each of ``n_bands + 1`` octave bands of the magnitude spectrogram, the
    mean of the top and bottom ``quantile`` of the bins ("peak" and "valley");
    the contrast is ``power_to_db(peak) - power_to_db(valley)`` (librosa applies
    ``power_to_db``, with its ``top_db=80`` over the clip, to magnitudes) or
    ``peak - valley`` when ``linear``.  The valleys are the quietest bins, so
    the spectrogram is computed in float64 (a float32 FFT moves them by up to
    0.005 dB); the result is float32.

    Parameters
    ----------
    sr : number > 0
        Sampling rate.
    n_fft, hop_length, win_length, window, center, pad_mode
        As in :class:`Spectrogram` (``hop_length`` defaults to 512).
    fmin : float > 0
        Upper edge of the lowest band.
    n_bands : int > 0
        Number of octave bands above it.
    quantile : float in (0, 1)
        Fraction of a band's bins that makes its peak and valley.
    linear : bool
        Linear difference instead of decibels.

    Examples
    --------
    >>> import torch
    >>> contrast = SpectralContrast(sr=22050)
    >>> contrast(torch.randn(2, 22050)).shape
    torch.Size([2, 7, 44])
    """

    def __init__(
        self,
        *,
        sr: float,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str | tuple = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        fmin: float = 200.0,
        n_bands: int = 6,
        quantile: float = 0.02,
        linear: bool = False,
    ):
        super().__init__()

        freq = fft_frequencies(sr=sr, n_fft=n_fft)
        bands = _contrast_bands(freq, sr=sr, fmin=fmin, n_bands=n_bands, quantile=quantile)
        # the bins of a band are contiguous: sort the slice [lo, hi)
        self.bands = [(int(bins[0]), int(bins[-1]) + 1, count) for bins, count in bands]
        self.spectrogram = Spectrogram(
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=1.0,
            dtype=torch.float64,
        )
        self.linear = bool(linear)

    def _frames(self, S: Tensor) -> Tensor:
        S = S.to(torch.float32)  # rounding the magnitudes is harmless, and halves the sort time
        out = S.new_empty((*S.shape[:-1], 2 * len(self.bands)))
        for k, (lo, hi, count) in enumerate(self.bands):
            band = _sort_last(S[..., lo:hi])
            out[..., 2 * k] = band[..., :count].mean(-1)
            out[..., 2 * k + 1] = band[..., -count:].mean(-1)
        return out

    def forward(self, y: Tensor) -> Tensor:
        """Contrast ``(..., n_bands + 1, frames)`` of waveforms ``(..., samples)``."""
        pairs = self.spectrogram.map_frames(y, self._frames, 2 * len(self.bands))
        valley, peak = pairs[..., 0::2, :], pairs[..., 1::2, :]
        if self.linear:
            return (peak - valley).to(torch.float32)
        db = dict(multiplier=10.0, ref=1.0, amin=1e-10, top_db=80.0)
        return (_power_to_db(peak, **db) - _power_to_db(valley, **db)).to(torch.float32)


class ToImage(nn.Module):
    """Resize features to an image and standardise it, per item.

    The same as :func:`machinehearing.features.to_image`: each axis is multiplied
    by the matrix of :func:`machinehearing.features.resize_weights` (area
    averaging where it shrinks, so that every frame counts; linear interpolation
    with half-pixel centres where it grows), then the image is standardised by
    ``standardize``: zero mean and unit standard deviation over each image
    (``"image"``), over each row (``"row"``), or not at all (``"none"``); a
    constant image or row becomes zeros.

    Parameters
    ----------
    size : (int, int)
        Output ``(height, width)``.
    standardize : bool or {"image", "row", "none"}
        Standardisation rule (``True`` is ``"image"``, ``False`` is ``"none"``).
    antialias : bool
        Average when shrinking (False: interpolate linearly).

    Examples
    --------
    >>> import torch
    >>> images = ToImage((128, 128))(torch.rand(8, 40, 259))
    >>> images.shape, round(images[0].std(unbiased=False).item(), 4)
    (torch.Size([8, 128, 128]), 1.0)
    >>> rows = ToImage((128, 128), standardize="row")(torch.rand(2, 40, 431))
    >>> torch.allclose(rows.std(dim=-1, unbiased=False), torch.ones(2, 128), atol=1e-4)
    True
    """

    def __init__(
        self,
        size: Sequence[int] = (128, 128),
        *,
        standardize: bool | str = True,
        antialias: bool = True,
    ):
        super().__init__()

        self.size = _check_size(size)
        self.standardize = _rule(standardize)
        self.antialias = bool(antialias)

    def _weights(self, n_in: int, n_out: int, like: Tensor) -> Tensor:
        weights = resize_weights(n_in, n_out, self.antialias)
        return torch.tensor(weights, dtype=torch.float32, device=like.device)

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(..., height, width)`` from features ``(..., rows, frames)``."""

        images, _ = _flatten(x.to(torch.float32), 2)
        (n_rows, n_cols), (height, width) = images.shape[-2:], self.size
        # the axis that shrinks more first (fewer operations); an axis kept as is is skipped
        for axis in sorted((-2, -1), key=lambda a: self.size[a] / images.shape[a]):
            if axis == -1 and n_cols != width:
                images = images @ self._weights(n_cols, width, images).T
            elif axis == -2 and n_rows != height:
                images = self._weights(n_rows, height, images) @ images
        if self.standardize != "none":
            dims = (-2, -1) if self.standardize == "image" else (-1,)
            # two passes, as NumPy: on the CPU, Tensor.std takes 30x the time of mean
            centred = images - images.mean(dim=dims, keepdim=True)
            std = centred.square().mean(dim=dims, keepdim=True).sqrt_()
            scale = images.abs().amax(dim=dims, keepdim=True)
            constant = std <= _CONSTANT_RTOL * scale
            images = centred.div_(std.masked_fill_(constant, 1.0)).masked_fill_(constant, 0.0)
        return images.reshape(*x.shape[:-2], *self.size)


def _stage_module(name: str) -> type[nn.Module]:
    """The module class a registry :class:`~machinehearing.features.Stage` names."""
    modules = (
        Spectrogram,
        MelSpectrogram,
        AmplitudeToDB,
        _Cepstrum,
        Delta,
        Chroma,
        SpectralContrast,
    )
    found = {cls.__name__: cls for cls in modules}.get(name)
    if found is None:
        raise ParameterError(
            f"stage module {name!r} is not a feature module of machinehearing.transforms"
        )
    return found


class NumpyFallbackWarning(UserWarning):
    """A feature of a :class:`FeatureExtractor` is computed by the NumPy reference.

    It is then computed clip by clip on the CPU (slow on a GPU batch); the message
    names the feature and the reason.
    """


class FeatureExtractor(nn.Module):
    """Feature images of a batch of clips: the batched :func:`machinehearing.features.extract`.

    Maps waveforms ``(batch, samples)`` to images ``(batch, C, H, W)`` (float32,
    on the input's device), one channel per spec, equal to stacking
    ``extract(y, sr, specs, size=size, seconds=seconds)`` clip by clip.  Each
    feature is computed by the torch :class:`~machinehearing.features.Stage` s
    its registry entry declares (:data:`machinehearing.features.FEATURES`).
    Work common to several features is done once: ``"logmel,mfcc,delta_mfcc"``
    computes one mel spectrogram and one MFCC.  A feature without a batched
    version (``cqt_db``; ``chroma`` with ``tuning=None``) is computed by the
    NumPy registry, clip by clip on the CPU, and moved to the input's device; a
    :class:`NumpyFallbackWarning` naming it is issued when the extractor is built.

    Parameters
    ----------
    specs : str, FeatureSpec or a list of them
        What to compute, e.g. ``"logmel,mfcc:n_mfcc=40,chroma"``.
    sr : number > 0
        Sampling rate of the input.
    size : (int, int)
        Image ``(height, width)``.
    seconds : float or None
        Crop (or zero-pad) every clip to this duration from its start first.

    Examples
    --------
    >>> import torch
    >>> extractor = FeatureExtractor("logmel,mfcc,delta_mfcc", sr=16000, seconds=1.0)
    >>> extractor.out_shape
    (3, 128, 128)
    >>> extractor(torch.randn(2, 24000)).shape
    torch.Size([2, 3, 128, 128])
    """

    def __init__(
        self,
        specs,
        sr: float,
        size: Sequence[int] = (128, 128),
        seconds: float | None = None,
    ):
        super().__init__()

        if not sr > 0:
            raise ParameterError(f"sr={sr!r} must be a positive sampling rate")
        if seconds is not None and not round(seconds * sr) > 0:
            raise ParameterError(f"seconds={seconds!r} must leave at least one sample at sr={sr}")
        self.specs = parse_specs(specs)
        self.sr, self.size, self.seconds = sr, _check_size(size), seconds
        # stages by their path of keys; each spec's chain of stage names (None: NumPy)
        self.stages = nn.ModuleDict()
        names: dict[str, str] = {}
        self.chains: list[list[str] | None] = []
        for spec in self.specs:
            feature, params = FEATURES[spec.name], spec.resolved()
            reason = feature.why_numpy(params)
            if reason is not None:
                warnings.warn(
                    f"feature {str(spec)!r} has no batched torch version ({reason}): it is "
                    "computed with the NumPy reference, clip by clip on the CPU",
                    NumpyFallbackWarning,
                    stacklevel=2,
                )
                self.chains.append(None)
                continue
            chain, path = [], ""
            for stage in feature.stages:
                path += "/" + stage.key(params)
                if path not in names:
                    names[path] = str(len(names))
                    module = _stage_module(stage.module)(**stage.kwargs(params, sr=sr))
                    self.stages[names[path]] = module
                chain.append(names[path])
            self.chains.append(chain)
        self.images = nn.ModuleList(
            [ToImage(self.size, standardize=s.standardize) for s in self.specs]
        )

    @property
    def out_shape(self) -> tuple[int, int, int]:
        """Shape ``(C, H, W)`` of one output item."""
        return (len(self.specs), *self.size)

    def forward(self, y: Tensor) -> Tensor:
        """Images ``(batch, C, H, W)`` of waveforms ``(batch, samples)``."""

        y = _check_audio(y)
        if y.ndim != 2:
            raise AudioError(f"y must be a (batch, samples) tensor, got shape {tuple(y.shape)}")
        if self.seconds is not None:
            n = int(round(self.seconds * self.sr))
            y = F.pad(y[:, :n], (0, max(n - y.shape[-1], 0)))
        out = y.new_empty((y.shape[0], *self.out_shape))
        done: dict[str, Tensor] = {}
        for i, (spec, chain, to_image) in enumerate(zip(self.specs, self.chains, self.images)):
            if chain is not None:
                feature = y
                for name in chain:
                    if name not in done:
                        done[name] = self.stages[name](feature)
                    feature = done[name]
                out[:, i] = to_image(feature)
                continue
            for b, clip in enumerate(y.detach().cpu().numpy()):
                image = extract(clip, self.sr, [spec], size=self.size)[0]
                out[b, i] = torch.from_numpy(image).to(out.device)
        return out
