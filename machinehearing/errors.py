"""Exceptions raised by machinehearing.

All of them subclass :class:`ValueError`, so code written against NumPy or
librosa conventions (``except ValueError``) keeps working.
"""

__all__ = ["MachineHearingError", "AudioError", "ParameterError", "DataError"]


class MachineHearingError(ValueError):
    """Base class of every error raised on purpose by machinehearing."""


class AudioError(MachineHearingError):
    """An audio file or signal cannot be used (missing, corrupt, empty, non-finite, ...)."""


class ParameterError(MachineHearingError):
    """A function argument has an invalid value; the message names the argument."""


class DataError(MachineHearingError):
    """A dataset, metadata file, cache or run directory is missing or inconsistent."""
