"""download() against a local HTTP server, and verify(). No test touches the internet."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import stat
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from machinehearing.datasets.download import MARKER_FILE, download, verify
from machinehearing.datasets.esc50 import load_metadata
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.errors import DataError, ParameterError

TOP = "ESC-50-master"


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A small dataset and a stored (uncompressed) zip of it under the GitHub top folder."""
    base = tmp_path_factory.mktemp("source")
    root = make_esc50_like(base / "ESC-50", n_classes=5, clips_per_class=5, sr=8000,
                           duration=0.5, progress=False)
    archive = base / "master.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{TOP}/", "")
        zf.writestr(f"{TOP}/README.md", "ESC-50")
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, f"{TOP}/{path.relative_to(root).as_posix()}")
    return root, archive.read_bytes()


class Server:
    """Serves one payload; can cut the first response after ``cut_after`` bytes."""

    def __init__(self, payload: bytes, *, cut_after: int | None = None,
                 honour_range: bool = True):
        self.payload, self.cut_after, self.honour_range = payload, cut_after, honour_range
        self.requests: list[dict] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server API)
                server.requests.append(dict(self.headers))
                body, status = server.payload, 200
                spec = self.headers.get("Range")
                if spec and server.honour_range:
                    start = int(spec.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.end_headers()
                        return
                    body, status = body[start:], 206
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                if status == 206:
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(server.payload) - 1}/"
                                     f"{len(server.payload)}")
                self.end_headers()
                if server.cut_after is not None and len(server.requests) == 1:
                    self.wfile.write(body[: server.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/master.zip"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_same_dataset(root: Path, expected: Path):
    for path in expected.rglob("*"):
        if path.is_file():
            assert (root / path.relative_to(expected)).read_bytes() == path.read_bytes()


def build_zip(path: Path, members: dict[str, bytes], links: dict[str, str] = ()) -> bytes:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in dict(links).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path.read_bytes()


def test_download_extracts_verifies_and_strips_the_top_folder(tmp_path, source):
    expected, payload = source
    with Server(payload) as server:
        root = download(tmp_path / "ESC-50", url=server.url, sha256=sha(payload),
                        progress=False)
    assert root == tmp_path / "ESC-50"
    assert_same_dataset(root, expected)
    assert (root / "README.md").read_text() == "ESC-50"
    assert (root / MARKER_FILE).is_file()
    assert verify(root).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ESC-50"]  # no .part, no temp dir


def test_a_verified_dataset_is_not_downloaded_again(tmp_path, source):
    _, payload = source
    with Server(payload) as server:
        download(tmp_path / "ESC-50", url=server.url, sha256=sha(payload), progress=False)
        download(tmp_path / "ESC-50", url=server.url, sha256=sha(payload), progress=False)
        assert len(server.requests) == 1
        download(tmp_path / "ESC-50", url=server.url, force=True, progress=False)
        assert len(server.requests) == 2


@pytest.mark.parametrize("honour_range", [True, False])
def test_download_resumes_after_the_connection_is_cut(tmp_path, source, honour_range):
    expected, payload = source
    cut = len(payload) // 3
    with Server(payload, cut_after=cut, honour_range=honour_range) as server:
        root = download(tmp_path / "ESC-50", url=server.url, sha256=sha(payload),
                        progress=False)
    assert len(server.requests) == 2
    assert "Range" not in server.requests[0]
    assert server.requests[1]["Range"] == f"bytes={cut}-"
    assert_same_dataset(root, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ESC-50"]


def test_an_interrupted_download_resumes_on_the_next_call(tmp_path, source):
    expected, payload = source
    cut = len(payload) // 2
    with Server(payload, cut_after=cut) as server:
        with pytest.raises(DataError, match="run again to resume"):
            download(tmp_path / "ESC-50", url=server.url, sha256=sha(payload), retries=0,
                     progress=False)
        assert not (tmp_path / "ESC-50").exists()  # nothing that looks like a dataset
        assert (tmp_path / "ESC-50.zip.part").stat().st_size == cut
        root = download(tmp_path / "ESC-50", url=server.url, sha256=sha(payload),
                        progress=False)
    assert server.requests[1]["Range"] == f"bytes={cut}-"
    assert_same_dataset(root, expected)


def test_checksum_mismatch_leaves_nothing_behind(tmp_path, source):
    _, payload = source
    with Server(payload) as server, pytest.raises(DataError, match="checksum mismatch"):
        download(tmp_path / "ESC-50", url=server.url, sha256="0" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_without_a_checksum_the_computed_hash_is_printed(tmp_path, source, capsys):
    _, payload = source
    with Server(payload) as server:
        download(tmp_path / "ESC-50", url=server.url, sha256=None, progress=False)
    assert sha(payload) in capsys.readouterr().err


@pytest.mark.parametrize("member", [f"{TOP}/../evil.txt", "/tmp/evil.txt", "../../evil.txt",
                                    f"{TOP}/audio/../../../evil.txt"])
def test_members_escaping_the_target_are_refused(tmp_path, member):
    payload = build_zip(tmp_path / "bad.zip", {f"{TOP}/meta/esc50.csv": b"x", member: b"evil"})
    (tmp_path / "bad.zip").unlink()
    target = tmp_path / "data"
    with Server(payload) as server, pytest.raises(DataError, match=member.replace(".", r"\.")):
        download(target / "ESC-50", url=server.url, progress=False)
    assert list(target.iterdir()) == []
    assert not list(tmp_path.rglob("evil.txt"))


def test_symlink_members_are_refused(tmp_path):
    payload = build_zip(tmp_path / "bad.zip", {f"{TOP}/meta/esc50.csv": b"x"},
                        links={f"{TOP}/audio/link.wav": "/etc/passwd"})
    target = tmp_path / "data"
    with Server(payload) as server, pytest.raises(DataError, match="audio/link.wav"):
        download(target / "ESC-50", url=server.url, progress=False)
    assert list(target.iterdir()) == []


def test_an_archive_that_is_not_a_dataset_is_not_installed(tmp_path):
    payload = build_zip(tmp_path / "other.zip", {f"{TOP}/README.md": b"hello"})
    with Server(payload) as server, pytest.raises(DataError, match="not a valid ESC-50"):
        download(tmp_path / "data" / "ESC-50", url=server.url, progress=False)
    assert list((tmp_path / "data").iterdir()) == []


def test_an_existing_unverified_directory_needs_force(tmp_path):
    (tmp_path / "ESC-50").mkdir()
    (tmp_path / "ESC-50" / "something").write_text("x")
    with pytest.raises(DataError, match="force=True"):
        download(tmp_path / "ESC-50", url="http://127.0.0.1:9/never", progress=False)


def test_an_existing_valid_directory_is_adopted_without_downloading(tmp_path, source):
    expected, _ = source
    shutil.copytree(expected, tmp_path / "ESC-50")
    download(tmp_path / "ESC-50", url="http://127.0.0.1:9/never", progress=False)
    assert (tmp_path / "ESC-50" / MARKER_FILE).is_file()


def test_sha256_must_be_hexadecimal(tmp_path):
    with pytest.raises(ParameterError, match="sha256"):
        download(tmp_path / "ESC-50", sha256="abc", progress=False)


# --------------------------------------------------------------------------------- verify


@pytest.fixture
def copy(tmp_path, source):
    root = shutil.copytree(source[0], tmp_path / "ESC-50")
    return root, load_metadata(root)


def test_verify_accepts_a_complete_dataset(copy):
    root, clips = copy
    report = verify(root)
    assert report.ok and report.problems == []
    assert (report.n_clips, report.sr, report.duration) == (len(clips), 8000, 0.5)
    assert str(report).endswith("OK")


def test_verify_checks_against_given_rate_and_length(copy):
    root, _ = copy
    report = verify(root, sr=44100, duration=5.0)
    assert not report.ok
    assert "expected 44100 Hz" in report.problems[0]


def _truncate(path: Path):
    path.write_bytes(path.read_bytes()[:200])


def _resample(path: Path):
    sf.write(str(path), np.zeros(8000, dtype=np.int16), 16000, subtype="PCM_16")


def _shorten(path: Path):
    sf.write(str(path), np.zeros(3000, dtype=np.int16), 8000, subtype="PCM_16")


@pytest.mark.parametrize("damage, message", [
    (Path.unlink, "cannot be read"), (_truncate, "s, expected 0.5 s"),
    (_resample, "16000 Hz, expected 8000 Hz"), (_shorten, "0.375 s, expected 0.5 s"),
])
def test_verify_names_each_damaged_file(copy, damage, message):
    root, clips = copy
    damage(clips[3].path(root))
    report = verify(root)
    assert not report.ok
    assert len(report.problems) == 1
    assert report.problems[0].startswith(clips[3].filename) and message in report.problems[0]
    assert clips[3].filename in str(report)


def test_verify_reports_unlisted_files_and_missing_metadata(copy):
    root, _ = copy
    (root / "audio" / "extra.wav").write_bytes(b"")
    assert verify(root).problems == ["extra.wav: in audio/ but not in the metadata"]
    (root / "meta" / "esc50.csv").unlink()
    assert "no metadata file" in verify(root).problems[0]


def test_verify_reports_class_counts_and_sources_split_over_folds(copy):
    root, _ = copy
    lines = (root / "meta" / "esc50.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    moved = rows[0].split(",")
    fold, src, take, target = moved[0].removesuffix(".wav").split("-")
    other_fold = "5" if fold != "5" else "4"
    new_name = f"{other_fold}-{src}-Z-{target}.wav"
    shutil.copy(root / "audio" / moved[0], root / "audio" / new_name)
    rows.append(",".join([new_name, other_fold, *moved[2:6], "Z"]))
    (root / "meta" / "esc50.csv").write_text("\n".join([header, *rows]) + "\n")
    problems = verify(root).problems
    assert any(p.startswith(f"class {target}: 6 clips, the others have 5") for p in problems)
    assert any(p.startswith(f"src_file {src} appears in folds") for p in problems)
