"""Declaring graded exercises: :class:`Exercise`, :class:`Case`, :class:`Hint`, comparators.

An exercise is data. The engine (:mod:`autograde.engine`) generates the inputs in the
grader's own process, computes the expected outputs with the ``reference``, sends the
inputs to a sandboxed child process that calls the student's ``target``, and compares the
returned outputs with ``compare``. Each session module ``autograde/exercises/sessionN.py``
defines ``EXERCISES: list[Exercise]``.

A complete declaration (function kind)::

    import numpy as np
    from autograde.compare import allclose
    from autograde.spec import Case, Exercise, Hint, hints
    from machinehearing import features

    def _public(rng):                      # students see these inputs (fixed seed)
        return [Case(args=(512,), label="n=512"), Case(args=(7,), label="odd n=7")]

    def _hidden(rng):                      # per-student seed: different for everyone
        return [Case(args=(int(n),)) for n in rng.integers(8, 4096, size=4)]

    EXERCISES = [
        Exercise(
            id="1.1-hann",
            session=1,
            points=1.0,
            target="hann_window",          # name in the student's session1.py
            reference=lambda n: features.get_window("hann", n),   # runs in the grader
            public=_public,
            hidden=_hidden,
            compare=allclose(rtol=1e-5, atol=1e-7),
            hints=[
                Hint("Periodic, not symmetric: divide by N, not N - 1.",
                     when=hints.same_as(lambda n: np.hanning(n))),
                Hint("Return n samples.", when=hints.wrong_shape()),
            ],
            forbidden=("numpy.hanning", "scipy.signal.get_window",
                       "machinehearing.features.get_window"),
            timeout=10.0,
            memory="2GiB",
        ),
    ]

Kinds
-----
``kind="function"`` (default)
    ``reference(*case.args, **case.kwargs)`` in the grader; ``target(*args, **kwargs)`` in
    the child. Case values are numpy arrays, torch tensors (sent as arrays, rebuilt as
    tensors), tuples/lists/dicts of those, and JSON values.
``kind="module"``
    ``reference()`` returns a ``torch.nn.Module`` (seeded by the engine, with non-trivial
    batch-norm statistics). Its ``state_dict`` travels to the child as ``.npy`` files; the
    child builds ``target(**init_kwargs)``, calls ``load_state_dict(strict=True)`` (missing
    or unexpected keys become the feedback), switches to eval mode and returns
    ``model(*case.args)`` for each case. ``case.args`` are the forward inputs (arrays).
``kind="procedure"``
    ``driver`` is a dotted path to a function that runs *inside the child*, e.g.
    ``"autograde.drivers.train_one_epoch"``. It is called as
    ``driver(student_callable, *case.args, device=..., full=..., **case.kwargs)`` and returns
    a JSON dict of metrics. ``full`` is True on CUDA (the GPU runner) and False on CPU (a
    reduced run); the mode is reported with the result. When ``reference`` is given, the
    grader runs the same driver on it to obtain the expected metrics; the comparator then
    receives ``(student_metrics, expected_metrics_or_None, case)``; see :func:`all_of`,
    :func:`decreasing`, :func:`at_least` and :func:`metrics_close`.

Scoring
-------
``points`` are split between public cases (``public_share``, default 0.5) and hidden cases
(the rest). ``credit="all"`` gives a group's points only when all its cases pass;
``credit="proportional"`` gives the fraction of passed cases. A forbidden call anywhere in the
exercise (AST scan of the target's source or the runtime guard) scores 0 for the exercise.

Comparators
-----------
A comparator is ``f(student, expected, case) -> Verdict``. ``student`` is always plain
data decoded by the grader (numpy ``ndarray`` of a numeric/bool dtype, Python scalars,
lists, dicts, or :class:`Unsupported` for anything else); it never is the student's object.
Built-ins: :func:`allclose`, :func:`equal`, :data:`shape_only`, and the procedure helpers.

Hints
-----
``Hint(text, when=predicate)``; ``predicate(student, expected, case) -> bool`` is evaluated on
failing cases, in order; the first that matches is shown (hidden-case inputs are never
shown). Ready-made predicates live in :mod:`autograde.hints` (``same_as``, ``scaled_by``,
``constant_factor``, ``transposed``, ``wrong_shape``, ``has_nan``, ``shifted``).
"""

from __future__ import annotations

from .model import (
    Case,
    CaseGenerator,
    Comparator,
    Exercise,
    Hint,
    Kind,
    Unsupported,
    Verdict,
    as_numeric,
    describe,
    parse_memory,
    plain_array,
)
from .sandbox.child import resolve

__all__ = [
    "Case",
    "Verdict",
    "Hint",
    "Exercise",
    "Unsupported",
    "Comparator",
    "CaseGenerator",
    "Kind",
    "parse_memory",
    "resolve",
    "describe",
    "as_numeric",
    "plain_array",
    "hints",
]


# Re-exported so that a declaration needs one import line for the spec and the hints.
from . import hints  # noqa: E402
