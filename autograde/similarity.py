"""Similarity report: winnowing fingerprints of every session file, pair by pair.

``python -m autograde similarity SUBMISSIONS --out REPORT_DIR [--stubs exercises]
[--solutions solutions] [--threshold 0.5]``

Each ``SUBMISSIONS/<student>/sessionN.py`` is cut into normalised Python tokens
(identifiers other than keywords, builtins and attribute names become ``V``, numbers ``N``,
strings ``S``; comments and layout are dropped), so renaming variables or reformatting
changes nothing. Every run of ``k`` tokens is hashed and winnowing (Schleimer, Wilkerson
and Aiken, SIGMOD 2003, the algorithm behind MOSS) keeps the smallest hash of each window
of ``window`` consecutive hashes: any match of at least ``k + window - 1`` tokens is
found. Fingerprints of the released stub ``exercises/sessionN.py`` are boilerplate and
removed from both sides.

Every pair of students is compared per session file, and each submission with
``solutions/sessionN.py`` and with every module of the library (:mod:`machinehearing`),
copying the reference being the likeliest shortcut. The score of a pair is the fraction of
the smaller side's fingerprints found in the other (1.0: one contains the other).

``REPORT_DIR`` receives ``index.html`` (the ranked table, pairs over the threshold
flagged), ``pairs/NNNN.html`` (the two files side by side, the matched code highlighted)
and ``similarity.json`` (the table, read by :func:`flagged_pairs` for ``autograde stats``).
Every name and every line of code is HTML-escaped. The report informs an instructor; it
never changes a grade.
"""

from __future__ import annotations

import argparse
import builtins
import hashlib
import html
import io
import json
import keyword
import os
import sys
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from machinehearing._io import atomic_write_json, atomic_write_text

__all__ = [
    "Fingerprint",
    "fingerprint",
    "compare",
    "Match",
    "similarity_report",
    "flagged_pairs",
    "format_pairs",
    "add_arguments",
    "run",
]

#: tokens per hashed k-gram and k-grams per winnowing window (guaranteed match: 19 tokens)
K, WINDOW = 12, 8
#: files with fewer own fingerprints than this (after boilerplate) are not compared
MIN_FINGERPRINTS = 8
#: bytes read of one file; a larger file is compared on its beginning
MAX_FILE_BYTES = 1 << 20
_KEEP = frozenset(keyword.kwlist) | frozenset(dir(builtins))
_SKIP = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}


@dataclass(frozen=True)
class Fingerprint:
    """The winnowed fingerprint of one source text.

    Attributes
    ----------
    label : str
        Who or what the text is (``"alice/session1.py"``, ``"solutions/session1.py"``).
    text : str
        The source.
    spans : tuple of (start, end)
        Character span of each normalised token.
    hashes : dict of int to tuple of int
        Selected k-gram hash -> the token indexes where such a k-gram starts.
    """

    label: str
    text: str
    spans: tuple[tuple[int, int], ...]
    hashes: dict[int, tuple[int, ...]]

    def without(self, boilerplate: Iterable[int]) -> Fingerprint:
        """The same fingerprint less the hashes in ``boilerplate``."""
        drop = set(boilerplate)
        return Fingerprint(
            self.label,
            self.text,
            self.spans,
            {h: p for h, p in self.hashes.items() if h not in drop},
        )


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in _SKIP:
                continue
            if tok.type == tokenize.NAME:
                word = tok.string if tok.string in _KEEP or previous == "." else "V"
            elif tok.type == tokenize.NUMBER:
                word = "N"
            elif tok.type in (tokenize.OP, tokenize.ERRORTOKEN):
                word = tok.string
            else:  # strings and the parts of f-strings
                word = "S"
            previous = tok.string
            (r0, c0), (r1, c1) = tok.start, tok.end
            words.append(word)
            spans.append((starts[r0 - 1] + c0, starts[r1 - 1] + c1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a file that does not tokenise to the end is compared on what did
    return words, spans


def _hash(words: Sequence[str]) -> int:
    digest = hashlib.blake2b("\x1f".join(words).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def fingerprint(text: str, label: str = "", *, k: int = K, window: int = WINDOW) -> Fingerprint:
    """Winnow the normalised tokens of ``text`` (see the module docstring).

    Examples
    --------
    >>> a = fingerprint("def f(x):\\n    total = 0\\n    for i in range(x):\\n"
    ...                 "        total += i * i\\n    return total\\n", k=5, window=4)
    >>> b = fingerprint("def g(n):  # renamed\\n    s = 0\\n    for j in range(n):\\n"
    ...                 "        s += j * j\\n    return s\\n", k=5, window=4)
    >>> a.hashes.keys() == b.hashes.keys(), len(a.spans)
    (True, 24)
    """
    words, spans = _tokens(text)
    grams = [_hash(words[i : i + k]) for i in range(len(words) - k + 1)]
    selected: dict[int, set[int]] = {}
    for start in range(max(1, len(grams) - window + 1) if grams else 0):
        block = grams[start : start + window]
        low = min(block)
        where = start + max(i for i, h in enumerate(block) if h == low)  # rightmost minimum
        selected.setdefault(low, set()).add(where)
    return Fingerprint(
        label, text, tuple(spans), {h: tuple(sorted(p)) for h, p in selected.items()}
    )


@dataclass(frozen=True)
class Match:
    """One compared pair: ``score`` and the shared fingerprints' share of each side."""

    a: Fingerprint
    b: Fingerprint
    file: str
    kind: str  # "students" or "reference"
    shared: int
    similarity_a: float
    similarity_b: float

    @property
    def score(self) -> float:
        """Shared fingerprints over the smaller side's (1.0: one contains the other)."""
        return max(self.similarity_a, self.similarity_b)


def compare(
    a: Fingerprint, b: Fingerprint, *, file: str = "", kind: str = "students"
) -> Match | None:
    """The :class:`Match` of two fingerprints; None when either is below the minimum size."""
    if min(len(a.hashes), len(b.hashes)) < MIN_FINGERPRINTS:
        return None
    shared = len(a.hashes.keys() & b.hashes.keys())
    return Match(a, b, file, kind, shared, shared / len(a.hashes), shared / len(b.hashes))


def _read(path: Path) -> str | None:
    if path.is_symlink() or not path.is_file():
        return None
    with open(path, "rb") as fh:
        return fh.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")


def _marked(fp: Fingerprint, hashes: set[int], k: int) -> str:
    """The text as HTML, the tokens of shared k-grams in ``<mark>``."""
    covered = [False] * len(fp.spans)
    for h in hashes:
        for p in fp.hashes.get(h, ()):
            covered[p : p + k] = [True] * len(covered[p : p + k])
    parts, at = [], 0
    i = 0
    while i < len(covered):
        if not covered[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(covered) and covered[j + 1]:
            j += 1
        start, end = fp.spans[i][0], fp.spans[j][1]
        parts += [html.escape(fp.text[at:start]), f"<mark>{html.escape(fp.text[start:end])}</mark>"]
        at, i = end, j + 1
    parts.append(html.escape(fp.text[at:]))
    return "".join(parts)


_STYLE = """<style>
body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
tr.flag{background:#fde2e1}.cols{display:grid;grid-template-columns:1fr 1fr;gap:1em}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:85%}mark{background:#ffd54f}
</style>"""


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>{_STYLE}</head><body>\n{body}\n</body></html>\n"
    )


def _pair_page(m: Match, k: int) -> str:
    shared = m.a.hashes.keys() & m.b.hashes.keys()
    e = html.escape
    return _page(
        f"{m.a.label} / {m.b.label}",
        (
            f"<h1>{e(m.a.label)} &harr; {e(m.b.label)}</h1>"
            f"<p>{m.shared} shared fingerprints: {m.similarity_a:.0%} of {e(m.a.label)}, "
            f"{m.similarity_b:.0%} of {e(m.b.label)}. Highlighted: code in matching runs of "
            f'{k}+ normalised tokens (names, numbers and strings ignored). <a href="../index.html">'
            "Back to the table</a></p>"
            f'<div class="cols"><div><h2>{e(m.a.label)}</h2><pre>{_marked(m.a, shared, k)}</pre>'
            f"</div><div><h2>{e(m.b.label)}</h2><pre>{_marked(m.b, shared, k)}</pre></div></div>"
        ),
    )


def _library(library: Path, k: int, window: int) -> list[Fingerprint]:
    found = []
    for path in sorted(library.rglob("*.py")):
        if (text := _read(path)) is not None:
            label = f"{library.name}/{path.relative_to(library).as_posix()}"
            found.append(fingerprint(text, label, k=k, window=window))
    return found


def similarity_report(
    submissions: str | os.PathLike,
    out: str | os.PathLike,
    *,
    stubs: str | os.PathLike | None = "exercises",
    solutions: str | os.PathLike | None = "solutions",
    library: str | os.PathLike | None = None,
    threshold: float = 0.5,
    k: int = K,
    window: int = WINDOW,
) -> list[Match]:
    """Compare every pair per session file and with the references; write the report.

    Parameters
    ----------
    submissions : path
        One sub-directory per student with ``sessionN.py`` files.
    out : path
        The report directory (``index.html``, ``pairs/``, ``similarity.json``).
    stubs, solutions : path, optional
        The released stubs (boilerplate) and the model solutions; None skips them.
    library : path, optional
        Source tree compared with every submission; default: the installed
        :mod:`machinehearing` package.
    threshold : float
        Pairs whose score reaches it are flagged.

    Returns
    -------
    list of Match
        Every compared pair with shared fingerprints, highest score first.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    submissions, out = Path(submissions), Path(out)
    if library is None:
        import machinehearing

        library = Path(machinehearing.__file__).parent
    students = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = sorted({f.name for s in students for f in s.glob("session*.py")})
    matches: list[Match] = []
    library_prints = _library(Path(library), k, window)
    for name in files:
        stub_text = _read(Path(stubs) / name) if stubs is not None else None
        boiler = fingerprint(stub_text, k=k, window=window).hashes if stub_text else {}
        prints = [
            fingerprint(text, f"{s.name}/{name}", k=k, window=window).without(boiler)
            for s in students
            if (text := _read(s / name)) is not None
        ]
        solution = _read(Path(solutions) / name) if solutions is not None else None
        refs = [fp.without(boiler) for fp in library_prints]
        if solution is not None:
            refs.insert(
                0, fingerprint(solution, f"solutions/{name}", k=k, window=window).without(boiler)
            )
        pairs = [(a, b, "students") for a, b in combinations(prints, 2)]
        pairs += [(a, r, "reference") for a in prints for r in refs]
        for a, b, kind in pairs:
            m = compare(a, b, file=name, kind=kind)
            if m is not None and m.shared:
                matches.append(m)
    matches.sort(key=lambda m: (-m.score, -m.shared, m.a.label, m.b.label))
    _write_report(out, matches, threshold, k, window)
    return matches


def _write_report(
    out: Path, matches: Sequence[Match], threshold: float, k: int, window: int
) -> None:
    e = html.escape
    rows, records = [], []
    for rank, m in enumerate(matches, start=1):
        page = f"pairs/{rank:04d}.html"
        atomic_write_text(out / page, _pair_page(m, k))
        flag = m.score >= threshold
        rows.append(
            f'<tr class="{"flag" if flag else ""}"><td>{rank}</td>'
            f"<td>{m.score:.0%}</td><td>{e(m.file)}</td><td>{e(m.a.label)}</td>"
            f"<td>{e(m.b.label)}</td><td>{e(m.kind)}</td><td>{m.shared}</td>"
            f"<td>{m.similarity_a:.0%} / {m.similarity_b:.0%}</td>"
            f'<td><a href="{page}">side by side</a></td></tr>'
        )
        records.append(
            {
                "rank": rank,
                "a": m.a.label,
                "b": m.b.label,
                "file": m.file,
                "kind": m.kind,
                "score": round(m.score, 4),
                "shared": m.shared,
                "similarity_a": round(m.similarity_a, 4),
                "similarity_b": round(m.similarity_b, 4),
                "flagged": flag,
                "page": page,
            }
        )
    flagged = sum(r["flagged"] for r in records)
    body = (
        f"<h1>Similarity report</h1><p>{len(records)} compared pairs with shared code; "
        f"{flagged} at or above the threshold {threshold:.0%} (highlighted). Winnowing over "
        f"normalised tokens, k={k}, window={window}; released stubs excluded. This report "
        "informs; similar code is a reason to look, not a verdict.</p>"
        "<table><tr><th>#</th><th>score</th><th>file</th><th>A</th><th>B</th><th>kind</th>"
        "<th>shared</th><th>of A / of B</th><th></th></tr>\n" + "\n".join(rows) + "</table>"
    )
    atomic_write_text(out / "index.html", _page("Similarity report", body))
    atomic_write_json(
        out / "similarity.json",
        {"threshold": threshold, "k": k, "window": window, "pairs": records},
    )


def flagged_pairs(report: str | os.PathLike, threshold: float | None = None) -> list[dict]:
    """The pairs of a report's ``similarity.json`` whose score reaches ``threshold``.

    ``report`` is the report directory or the JSON file; ``threshold`` defaults to the
    report's own. For ``autograde stats``: ``format_pairs(flagged_pairs(DIR))``.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "similarity.json").write_text(json.dumps({"threshold": 0.5, "pairs": [
    ...     {"a": "ana/session1.py", "b": "cai/session1.py", "score": 0.9},
    ...     {"a": "ana/session1.py", "b": "ben/session1.py", "score": 0.1}]}))
    >>> [p["b"] for p in flagged_pairs(d)], len(flagged_pairs(d, threshold=0.05))
    (['cai/session1.py'], 2)
    """
    path = Path(report)
    path = path / "similarity.json" if path.is_dir() else path
    data = json.loads(path.read_text(encoding="utf-8"))
    limit = data["threshold"] if threshold is None else threshold
    return [p for p in data["pairs"] if p["score"] >= limit]


def format_pairs(pairs: Sequence[dict]) -> str:
    """A text table of similarity pairs (from :func:`flagged_pairs`).

    Examples
    --------
    >>> print(format_pairs([{"score": 0.9, "a": "ana/session1.py", "b": "cai/session1.py",
    ...                      "shared": 21}]))
    score  shared  pair
      90%      21  ana/session1.py <-> cai/session1.py
    """
    lines = [f"{'score':>5}  {'shared':>6}  pair"]
    lines += [f"{p['score']:>5.0%}  {p['shared']:>6}  {p['a']} <-> {p['b']}" for p in pairs]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m autograde similarity``."""
    parser.add_argument("submissions", help="directory with one sub-directory per student")
    parser.add_argument("--out", required=True, metavar="REPORT_DIR", help="report directory")
    parser.add_argument(
        "--stubs",
        default="exercises",
        help="released stubs, excluded as boilerplate (default: exercises/)",
    )
    parser.add_argument(
        "--solutions", default="solutions", help="model solutions compared with each submission"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="flag pairs whose score reaches this fraction (default 0.5)",
    )
    parser.add_argument("--top", type=int, default=10, help="pairs printed (default 10)")


def run(args: argparse.Namespace) -> int:
    """Run ``similarity``: write the report and print the top of the ranked table."""
    try:
        similarity_report(
            args.submissions,
            args.out,
            stubs=args.stubs,
            solutions=args.solutions,
            threshold=args.threshold,
        )
    except (ValueError, OSError) as exc:
        print(f"autograde similarity: error: {exc}", file=sys.stderr)
        return 2
    top = flagged_pairs(args.out, threshold=0.0)[: args.top]
    print(format_pairs(top))
    print(f"report: {Path(args.out) / 'index.html'}")
    return 0
