#!/usr/bin/env bash
# The GPU check: environment, the GPU test suite, feature and training speed on CUDA, a 5-fold
# cross-validation and grading with --device cuda. Each step's output is kept in OUTDIR.
#
#   bash benchmarks/gpu_check.sh [OUTDIR]        # default OUTDIR: gpu-check/
#
# Settings (environment):
#   DEVICE=cuda    the torch device to check (DEVICE=cpu QUICK=1 rehearses the script on a CPU)
#   QUICK=1        small sizes everywhere and no full suite (a rehearsal, not a measurement)
#   WHEELS=DIR     install the wheels in DIR first (for a machine without network whose Python
#                  already has a CUDA build of torch; pip download them elsewhere:
#                  librosa soundfile soxr audioread pooch tomli-w platformdirs decorator and,
#                  for step 5, nbgrader's dependencies)
#   PYTHON=python3 the interpreter (default: .venv/bin/python if present, else python3)
#
# On a machine with network, install the CUDA build of torch as the install page says
# ('make install TORCH=torch'), then run this script. A step that fails is recorded in
# OUTDIR/summary.txt and the script goes on with the next one.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-gpu-check}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DEVICE=${DEVICE:-cuda}
QUICK=${QUICK:-0}
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
if [ -n "${WHEELS:-}" ]; then
    "$PYTHON" -m pip install -q --no-index --no-deps --target /tmp/mh-site "$WHEELS"/*.whl || exit 1
    export PYTHONPATH="/tmp/mh-site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export AUTOGRADE_SECRET=${AUTOGRADE_SECRET:-gpu-check-$(date +%s%N)}
: > "$OUT/summary.txt"

step() {  # step NAME COMMAND...: run, keep its output, record its exit status and time
    local name=$1; shift
    local start=$SECONDS
    echo "=== $name: $*" | tee "$OUT/$name.log"
    "$@" 2>&1 | tee -a "$OUT/$name.log"
    local rc=${PIPESTATUS[0]}
    echo "$name rc=$rc seconds=$((SECONDS - start))" | tee -a "$OUT/summary.txt"
}

if [ "$QUICK" = 1 ]; then
    FEATURE_ARGS=(--n-clips 8 --batch-size 8 --repeat 1)
    BATCHES=(32)
    TRAIN_ARGS=(--clips 64 --steps 1 --rounds 1)
    SYN=(n_classes=5 clips_per_class=8 duration=5.0 sr=16000)
    CV_ARGS=(--preset smoke)
    COPIES=1
else
    FEATURE_ARGS=(--n-clips 256 --repeat 5)
    BATCHES=(64 128 256 512)
    TRAIN_ARGS=(--clips 2048 --steps 20 --rounds 3)
    SYN=(n_classes=50 clips_per_class=40 duration=5.0 sr=44100)
    CV_ARGS=(--preset course)
    COPIES=8
fi

# 1. environment
step 1-environment bash -c "
    nvidia-smi || echo 'nvidia-smi: not found'
    uname -a; nproc; free -g
    \"$PYTHON\" -c 'import sys, torch
print(\"python\", sys.version.split()[0], \"torch\", torch.__version__, \"cuda\", torch.version.cuda)
print(\"cuda available:\", torch.cuda.is_available())
if torch.cuda.is_available():
    print(\"device:\", torch.cuda.get_device_name(0), torch.cuda.get_device_capability(0))
    print(\"bf16 supported:\", torch.cuda.is_bf16_supported())'"

# 2. the GPU tests, then the whole suite
step 2a-pytest-gpu "$PYTHON" -m pytest -q -m gpu -p no:cacheprovider -rs
[ "$QUICK" = 1 ] || step 2b-pytest-all "$PYTHON" -m pytest -q -p no:cacheprovider

# 3. feature speed against librosa, batch 64 and 256
for batch in 64 256; do
    [ "$QUICK" = 1 ] && [ "$batch" = 256 ] && continue
    step "3-features-batch$batch" "$PYTHON" benchmarks/features.py --device "$DEVICE" \
        --batch-size "$batch" "${FEATURE_ARGS[@]}"
done

# 4. training speed for several batch sizes, then a 5-fold cross-validation
for batch in "${BATCHES[@]}"; do
    step "4a-training-batch$batch" "$PYTHON" benchmarks/training.py --device "$DEVICE" \
        --batch-size "$batch" "${TRAIN_ARGS[@]}"
done
step 4b-synthetic "$PYTHON" -c "
from machinehearing.datasets.synthetic import make_esc50_like
kwargs = dict(a.split('=') for a in '${SYN[*]}'.split())
kwargs = {k: float(v) if '.' in v else int(v) for k, v in kwargs.items()}
print(make_esc50_like('$OUT/ESC-50', progress=False, **kwargs))"
step 4c-crossval "$PYTHON" -m machinehearing crossval "${CV_ARGS[@]}" --data "$OUT/ESC-50" \
    --run-dir "$OUT/crossval" --device "$DEVICE" --quiet

# 5. grading: COPIES copies of the course solutions and the released stubs
SUBS="$OUT/submissions"
rm -rf "$SUBS" && mkdir -p "$SUBS"
for i in $(seq 1 "$COPIES"); do
    mkdir -p "$SUBS/solution$i" && cp solutions/session[1-6].py "$SUBS/solution$i/"
done
mkdir -p "$SUBS/stubs" && cp exercises/session[1-6].py "$SUBS/stubs/"
GRADE=("$PYTHON" -m autograde grade "$SUBS" --out "$OUT/grades" --jobs 2 --device "$DEVICE")
if ! command -v bwrap >/dev/null; then
    echo "bubblewrap is not installed: grading without isolation (--insecure)" \
        | tee -a "$OUT/summary.txt"
    GRADE+=(--insecure)
fi
step 5-grade "${GRADE[@]}"
step 5-grades-csv cat "$OUT/grades/grades.csv"

echo; cat "$OUT/summary.txt"
