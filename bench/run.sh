#!/usr/bin/env bash
# The benchmark harness (issue 6): one command, from the repository root:
#
#     bash bench/run.sh            # RUNS=5 STARTUP_RUNS=50 by default
#
# 1. a venv (bench/.venv, git-ignored) with pystorm 3.1.4 from PyPI;
# 2. release builds: sparse-host, the wordcount and bench plugins, the floor relay example;
# 3. transcripts in $TARGET/bench/transcripts (bench/gen_transcripts.py);
# 4. every workload with pystorm, sparse-host and the floor (bench/bench.py), outputs
#    compared, table written between the markers in BENCHMARKS.md.
# Set CARGO_TARGET_DIR to build elsewhere; set NO_WRITE=1 to leave BENCHMARKS.md alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RUNS=${RUNS:-5}
STARTUP_RUNS=${STARTUP_RUNS:-50}
PY=${PYTHON:-python3}

if [ ! -x /usr/bin/time ]; then
    echo "bench: /usr/bin/time is missing (peak RSS); installing Debian's 'time' package" >&2
    apt-get update -qq && apt-get install -y -qq time
fi

VENV=$ROOT/bench/.venv
if ! "$VENV/bin/python" -c 'import pystorm, sys; sys.exit(pystorm.__version__ != "3.1.4")' 2>/dev/null; then
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q 'pystorm==3.1.4'
fi

cargo build --release -q -p sparse-host --bin sparse-host --example floor_relay
cargo build --release -q -p wordcount -p bench --lib

BIN=$TARGET/release
WORK=${BENCH_WORK:-/dev/shm}
[ -d "$WORK" ] && [ -w "$WORK" ] || WORK=$TARGET
WORK=$(mktemp -d "$WORK/sparse-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TRANSCRIPTS=$TARGET/bench/transcripts
mkdir -p "$WORK/pids"
"$PY" bench/gen_transcripts.py "$TRANSCRIPTS" "$WORK/pids"

ARGS=(--bin-dir "$BIN" --python "$VENV/bin/python" --transcripts "$TRANSCRIPTS" --work "$WORK/out"
      --runs "$RUNS" --startup-runs "$STARTUP_RUNS" --command "bash bench/run.sh")
[ "${NO_WRITE:-0}" = 1 ] || ARGS+=(--markdown "$ROOT/BENCHMARKS.md")
"$PY" bench/bench.py "${ARGS[@]}" "$@"
