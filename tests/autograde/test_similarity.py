"""The similarity report (autograde.similarity) on a class of six synthetic students.

Session 1's stub is the released ``exercises/session1.py``; each student fills in ``stft``.
Ana and Ben wrote their own; Cai handed in Ana's code with every variable renamed and the
comments rewritten; Dan, Fay wrote their own; Eli pasted the body of the library's
``machinehearing.features.spectral.stft``. The report must rank Ana-Cai and Eli-library
above every independent pair.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from autograde.similarity import compare, fingerprint, flagged_pairs, similarity_report
from machinehearing.features import spectral

ROOT = Path(__file__).resolve().parents[2]
STUB = (ROOT / "exercises" / "session1.py").read_text()
MARK = (
    "    # YOUR CODE HERE\n"
    '    raise NotImplementedError("stft: your code here (see the docstring)")\n'
)

ANA = """
    if center:
        pad = n_fft // 2
        y = np.concatenate([np.zeros(pad), y, np.zeros(pad)])
    count = 1 + (len(y) - n_fft) // hop_length
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    out = np.empty((1 + n_fft // 2, count), dtype=complex)
    for t in range(count):
        segment = y[t * hop_length : t * hop_length + n_fft]  # one frame
        out[:, t] = np.fft.rfft(segment * window)
    return out
"""
CAI = """
    if center:  # pad both ends
        half = n_fft // 2
        y = np.concatenate([np.zeros(half), y, np.zeros(half)])
    n_frames = 1 + (len(y) - n_fft) // hop_length
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    spec = np.empty((1 + n_fft // 2, n_frames), dtype=complex)
    for col in range(n_frames):
        chunk = y[col * hop_length : col * hop_length + n_fft]
        spec[:, col] = np.fft.rfft(chunk * hann)
    return spec
"""
BEN = """
    signal = np.pad(y, n_fft // 2) if center else y
    frames = np.lib.stride_tricks.sliding_window_view(signal, n_fft)[::hop_length]
    w = np.sin(np.pi * np.arange(n_fft) / n_fft) ** 2
    return np.fft.rfft(frames * w, axis=1).T
"""
DAN = """
    x = np.asarray(y, dtype=float)
    if center:
        x = np.pad(x, (n_fft // 2, n_fft // 2), mode="constant")
    starts = range(0, len(x) - n_fft + 1, hop_length)
    idx = np.array(list(starts))[:, None] + np.arange(n_fft)[None, :]
    win = np.hanning(n_fft + 1)[:-1]
    return np.fft.rfft(x[idx] * win[None, :], axis=-1).transpose()
"""
FAY = """
    data = list(y)
    if center:
        data = [0.0] * (n_fft // 2) + data + [0.0] * (n_fft // 2)
    columns = []
    t = 0
    while t + n_fft <= len(data):
        piece = np.array(data[t:t + n_fft])
        taper = np.array([np.sin(np.pi * i / n_fft) ** 2 for i in range(n_fft)])
        columns.append(np.fft.rfft(taper * piece))
        t += hop_length
    return np.stack(columns, axis=1)
"""


def _eli() -> str:
    """The body of the library's stft from its analysis window on, as a student pastes it."""
    source = inspect.getsource(spectral.stft)
    body = source[source.index("    # the analysis window") :]
    setup = (
        '    win_length, window, pad_mode = n_fft, "hann", "constant"\n'
        "    from machinehearing.features.spectral import frame, get_window\n"
        "    _STFT_BLOCK_BYTES = 1 << 18\n"
        "    ParameterError = ValueError\n"
    )
    return "\n" + setup + body


def _submission(root: Path, name: str, body: str) -> None:
    assert MARK in STUB, "the session 1 stub changed: update the synthetic class"
    (root / name).mkdir(parents=True)
    (root / name / "session1.py").write_text(STUB.replace(MARK, body.lstrip("\n")))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs = root / "submissions"
    for name, body in [
        ("ana", ANA),
        ("ben", BEN),
        ("cai", CAI),
        ("dan", DAN),
        ("eli", _eli()),
        ("fay", FAY),
    ]:
        _submission(subs, name, body)
    (subs / "stub_only").mkdir()  # handed in the stub: nothing of its own to compare
    (subs / "stub_only" / "session1.py").write_text(STUB)
    out = root / "report"
    matches = similarity_report(
        subs, out, stubs=ROOT / "exercises", solutions=ROOT / "solutions", threshold=0.5
    )
    return matches, out


def test_copies_rank_first(report):
    matches, _ = report
    top = {(m.a.label, m.b.label) for m in matches[:2]}
    assert top == {
        ("ana/session1.py", "cai/session1.py"),
        ("eli/session1.py", "machinehearing/features/spectral.py"),
    }
    assert min(m.score for m in matches[:2]) >= 0.6
    assert max(m.score for m in matches[2:]) < 0.3
    assert not any("stub_only" in m.a.label for m in matches)  # boilerplate only


def test_report_is_written_escaped_and_flags_the_copies(report):
    _, out = report
    flagged = flagged_pairs(out)
    assert [(p["a"], p["b"]) for p in flagged] == [
        (m["a"], m["b"])
        for m in json.loads((out / "similarity.json").read_text())["pairs"]
        if m["score"] >= 0.5
    ]
    assert len(flagged) == 2
    index = (out / "index.html").read_text()
    assert index.count('class="flag"') == 2 and "pairs/0001.html" in index
    page = (out / flagged[0]["page"]).read_text()
    assert page.count("<mark>") >= 1 and "&gt;" in page and "-&gt; np.ndarray" in page


def test_renaming_and_comments_do_not_change_the_fingerprint():
    a = fingerprint(STUB.replace(MARK, ANA.lstrip("\n")))
    c = fingerprint(STUB.replace(MARK, CAI.lstrip("\n")))
    assert compare(a, c).score == 1.0


def test_student_strings_are_escaped_in_the_report(tmp_path):
    subs = tmp_path / "subs"
    evil = ANA.replace("# one frame", "# </pre><script>alert(1)</script>")
    for name, body in [("<b>x&y", evil), ("y", ANA)]:
        (subs / name).mkdir(parents=True)
        (subs / name / "session1.py").write_text(STUB.replace(MARK, body.lstrip("\n")))
    similarity_report(
        subs, tmp_path / "r", stubs=ROOT / "exercises", solutions=None, library=tmp_path / "nolib"
    )
    html = (tmp_path / "r" / "index.html").read_text() + (
        tmp_path / "r" / "pairs" / "0001.html"
    ).read_text()
    assert "<script>" not in html and "<b>x" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;x&amp;y" in html
