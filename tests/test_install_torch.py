"""tools/install_torch.sh: the CPU wheel index where it answers, the default index otherwise."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "install_torch.sh"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script")


@pytest.fixture
def python(tmp_path):
    """An interpreter whose ``-m pip`` only records its arguments (one line per call)."""
    log = tmp_path / "pip.log"
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; echo "$*" >> '
        f'"{log}"; exit 0; fi\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    fake.chmod(0o755)
    return fake, log


def _install(python, index: str | None, *, timeout: str = "3") -> tuple[str, str]:
    fake, log = python
    env = {k: v for k, v in os.environ.items() if k != "TORCH_INDEX"}
    env["TORCH_INDEX_TIMEOUT"] = timeout
    if index is not None:
        env["TORCH_INDEX"] = index
    done = subprocess.run(
        ["sh", str(SCRIPT), str(fake), "torch==2.13.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return log.read_text().strip(), done.stdout + done.stderr


@pytest.fixture
def index_server(tmp_path):
    """A fake wheel index on 127.0.0.1 that has a torch/ page."""
    (tmp_path / "simple" / "torch").mkdir(parents=True)
    (tmp_path / "simple" / "torch" / "index.html").write_text("<html></html>")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_reachable_index_gives_the_cpu_build(python, index_server):
    args, output = _install(python, index_server)
    assert args == (
        f"install --index-url {index_server} --extra-index-url https://pypi.org/simple "
        "torch==2.13.0"
    )
    assert "CPU build" in output


def test_an_unreachable_index_falls_back_to_the_default_index(python):
    index = f"http://127.0.0.1:{_closed_port()}/simple"
    args, output = _install(python, index)
    assert args == "install torch==2.13.0"  # one pip call, without the index
    assert f"{index} is unreachable" in output and "default index instead" in output


def test_an_index_that_never_answers_falls_back_after_the_timeout(python):
    with socket.socket() as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        index = f"http://127.0.0.1:{silent.getsockname()[1]}/simple"
        args, output = _install(python, index, timeout="0.5")
    assert args == "install torch==2.13.0"
    assert "timed out" in output


def test_an_empty_index_installs_from_the_default_index(python):
    args, output = _install(python, "")
    assert args == "install torch==2.13.0" and "unreachable" not in output


def test_the_makefile_uses_the_cpu_index_unless_torch_is_chosen():
    root = SCRIPT.parents[1]

    # the variables an enclosing make (the README's ``make test``) exports would leak in
    leaked = ("TORCH", "TORCH_INDEX", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    clean = {k: v for k, v in os.environ.items() if k not in leaked}

    def dry_run(*args: str, env: dict | None = None) -> str:
        done = subprocess.run(
            ["make", "-n", "-p", "install", *args],
            cwd=root,
            env={**clean, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout

    def exported_index(text: str) -> str:
        lines = [line for line in text.splitlines() if line.startswith("TORCH_INDEX ")]
        return lines[-1].split("=", 1)[1].strip() if lines else ""

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    default = dry_run()
    assert 'tools/install_torch.sh .venv/bin/python "torch==2.13.0"' in default
    assert exported_index(default) == "https://download.pytorch.org/whl/cpu"
    assert exported_index(dry_run("TORCH=torch")) == ""
    assert exported_index(dry_run(env={"TORCH": "torch"})) == ""
