#!/bin/sh
# Install PyTorch: the CPU build from PyTorch's CPU wheel index where that index answers,
# otherwise what pip's default index gives (on Linux that is the CUDA build, gigabytes).
#
# usage: tools/install_torch.sh PYTHON SPEC
#   PYTHON  the interpreter of the environment to install into (e.g. .venv/bin/python)
#   SPEC    the requirement, e.g. torch==2.13.0
# environment:
#   TORCH_INDEX          the CPU wheel index (default https://download.pytorch.org/whl/cpu);
#                        empty: install SPEC from the default index (a CUDA build on Linux)
#   TORCH_INDEX_TIMEOUT  seconds to wait for the index to answer, one try (default 3)
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 PYTHON SPEC" >&2
    exit 2
fi
python=$1
spec=$2
index=${TORCH_INDEX-https://download.pytorch.org/whl/cpu}
timeout=${TORCH_INDEX_TIMEOUT:-3}

if [ -z "$index" ]; then
    echo "install_torch: $spec from the default index"
    exec "$python" -m pip install "$spec"
fi
# one request with a short timeout: where the index is unreachable (offline, a firewall,
# CI) the fallback costs seconds, not pip's minutes of retries
if "$python" - "$index" "$timeout" <<'PY'
import sys
import urllib.request

index, timeout = sys.argv[1].rstrip("/"), float(sys.argv[2])
try:
    with urllib.request.urlopen(f"{index}/torch/", timeout=timeout) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # any failure: use the default index
    print(f"install_torch: {index} is unreachable ({exc})", file=sys.stderr)
    sys.exit(1)
PY
then
    echo "install_torch: $spec, CPU build, from $index"
    exec "$python" -m pip install --index-url "$index" --extra-index-url https://pypi.org/simple \
        "$spec"
fi
echo "install_torch: $spec from the default index instead (a local wheel where pip is" \
    "configured with one; on Linux otherwise the CUDA build)"
exec "$python" -m pip install "$spec"
