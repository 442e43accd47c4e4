"""Lazy attribute loading for package ``__init__`` modules.

Importing :mod:`machinehearing` must stay cheap (the command line and the
autograder import it before they know whether torch is needed), so packages
map their public names to the submodule that defines them and import that
submodule on first access.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def attach(package: str, names: Mapping[str, str]) -> tuple[Callable, Callable, list[str]]:
    """Return ``(__getattr__, __dir__, __all__)`` resolving ``names`` lazily.

    Parameters
    ----------
    package : str
        The ``__name__`` of the package being initialised.
    names : mapping of str to str
        Public attribute name -> relative submodule (``".spectral"``) that defines it.
        A value equal to the key with a leading dot names a submodule itself.
    """

    def __getattr__(name: str):
        try:
            module = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        mod = importlib.import_module(module, package)
        value = mod if module == "." + name else getattr(mod, name)
        return value

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__, sorted(names)
