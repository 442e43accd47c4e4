"""example(): real recordings from a local HTTP server, marked stand-ins when offline."""

from __future__ import annotations

import hashlib
import http.server
import io
import socket
import threading
import warnings

import numpy as np
import pytest
import soundfile as sf

from machinehearing.datasets import examples
from machinehearing.datasets.examples import (
    EXAMPLES,
    Example,
    StandInWarning,
    describe,
    example,
    is_synthetic,
)
from machinehearing.errors import DataError, ParameterError


def _wav(sr=44100, seconds=5.0, channels=1) -> bytes:
    buf = io.BytesIO()
    y = 0.1 * np.sin(np.linspace(0, 2000, int(sr * seconds)))
    sf.write(buf, np.tile(y[:, None], channels), sr, subtype="PCM_16", format="WAV")
    return buf.getvalue()


@pytest.fixture
def server():
    """Serves ``files`` (path -> bytes) on 127.0.0.1 and records the requested paths."""
    files: dict[str, bytes] = {}
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            requests.append(self.path)
            body = files.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files, requests
    httpd.shutdown()
    httpd.server_close()


def _register(monkeypatch, name, url, sha256=None, stand_in="dog"):
    monkeypatch.setitem(EXAMPLES, name, Example(url, f"test recording {name}", stand_in, sha256))


def test_downloads_an_esc50_clip_once_and_caches_it(server, monkeypatch, tmp_path):
    base, files, requests = server
    files["/audio/1-100032-A-0.wav"] = payload = _wav()
    _register(monkeypatch, "dog", base + "/audio/1-100032-A-0.wav")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a real file: no stand-in warning
        path = example("dog", cache_dir=tmp_path, offline=False)
    assert path == tmp_path / "examples" / "1-100032-A-0.wav"
    assert path.read_bytes() == payload and not is_synthetic(path)
    assert describe(path) == "test recording dog"
    assert example("dog", cache_dir=tmp_path, offline=False) == path
    assert requests == ["/audio/1-100032-A-0.wav"]  # the second call used the cache
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary files


def test_checks_the_sha256_when_the_registry_pins_it(server, monkeypatch, tmp_path):
    base, files, _ = server
    files["/robin.ogg"] = payload = b"OggS not really"
    _register(monkeypatch, "good", base + "/robin.ogg", hashlib.sha256(payload).hexdigest())
    assert example("good", cache_dir=tmp_path, offline=False).read_bytes() == payload
    _register(monkeypatch, "bad", base + "/robin.ogg", "0" * 64)
    (tmp_path / "examples" / "robin.ogg").unlink()
    with pytest.raises(DataError, match="SHA-256"):
        example("bad", cache_dir=tmp_path, offline=False)
    assert list((tmp_path / "examples").iterdir()) == []


@pytest.mark.parametrize("payload, match", [
    (_wav(sr=22050), "expected an ESC-50 clip"),
    (_wav(seconds=4.0), "expected an ESC-50 clip"),
    (_wav(channels=2), "expected an ESC-50 clip"),
    (b"<html>rate limited</html>", "not a readable audio file"),
])
def test_refuses_a_download_that_is_not_an_esc50_clip(server, monkeypatch, tmp_path, payload,
                                                      match):
    base, files, _ = server
    files["/clip.wav"] = payload
    _register(monkeypatch, "clip", base + "/clip.wav")
    with pytest.raises(DataError, match=match):
        example("clip", cache_dir=tmp_path, offline=False)
    assert list((tmp_path / "examples").iterdir()) == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_gives_a_marked_stand_in_with_a_warning(monkeypatch, tmp_path):
    _register(monkeypatch, "dog", f"http://127.0.0.1:{_closed_port()}/1-100032-A-0.wav")
    with pytest.warns(StandInWarning, match="cannot download .*SYNTHETIC stand-in"):
        path = example("dog", cache_dir=tmp_path, offline=False, timeout=2.0)
    assert path.name == "synthetic-stand-in-for-dog.wav" and is_synthetic(path)
    assert describe(path) == "synthetic stand-in for dog"
    info = sf.info(str(path))
    assert (info.samplerate, info.frames, info.channels) == (44100, 220500, 1)


def test_offline_never_touches_the_network(server, monkeypatch, tmp_path):
    base, files, requests = server
    files["/x.wav"] = _wav()
    _register(monkeypatch, "x", base + "/x.wav", stand_in="rain")
    monkeypatch.setenv(examples.OFFLINE_ENV, "1")
    with pytest.warns(StandInWarning, match="offline"):
        path = example("x", cache_dir=tmp_path)
    assert requests == [] and describe(path) == "synthetic stand-in for x"
    with pytest.warns(StandInWarning):  # every call says so, also from the cache
        assert example("x", cache_dir=tmp_path) == path


def test_the_stand_in_is_the_class_recipe(tmp_path):
    from machinehearing.datasets.synthetic import synthesize

    with pytest.warns(StandInWarning):
        path = example("humpback", cache_dir=tmp_path, offline=True)
    y, sr = sf.read(str(path), dtype="float32")
    expected = synthesize(EXAMPLES["humpback"].stand_in, sr=sr)
    assert np.abs(y - expected).max() <= 2 / 32768  # 16-bit rounding


def test_unknown_names_list_the_registry():
    with pytest.raises(ParameterError, match="'dog'"):
        example("unicorn")


def test_registry_points_at_esc50_clips_of_the_named_class_or_pinned_files():
    from machinehearing.datasets.esc50 import CLASSES

    for name, entry in EXAMPLES.items():
        assert entry.stand_in in CLASSES
        if entry.sha256 is None:  # an ESC-50 clip: its file name carries its class
            filename = entry.url.rsplit("/", 1)[1]
            assert entry.url.startswith(
                "https://raw.githubusercontent.com/karolpiczak/ESC-50/master/audio/")
            assert CLASSES[int(filename.split("-")[-1].split(".")[0])] == name == entry.stand_in
        else:
            assert len(entry.sha256) == 64
