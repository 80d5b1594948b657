#!/usr/bin/env bash
# Quick start, command 1: install the suite's dependencies into .venv, run the fast profile
# (SCRATCHNET_BENCH_PROFILE=full for every case and 5 seeds), its asv benchmarks and its report.
#   [1/4] install  (skipped when .venv holds this pyproject.toml's install)
#   [2/4] runs     results/<profile>/ (resumed while the commit is unchanged)
#   [3/4] asv      results/asv/ (its track_ figures read those runs; skipped when recorded)
#   [4/4] report   results/<profile>/REPORT.md and report.html, then the headline
# Everything written is git-ignored; the committed reference report is scripts/reference_run.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."

export SCRATCHNET_BENCH_PROFILE=${SCRATCHNET_BENCH_PROFILE:-fast}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
export KERAS_HOME=${KERAS_HOME:-$PWD/.cache/keras}
export MPLCONFIGDIR=${MPLCONFIGDIR:-$PWD/.cache/matplotlib}
export SCRATCHNET_RESULTS="$PWD/results/$SCRATCHNET_BENCH_PROFILE"

# [1/4] install, with a line of progress while pip works (a TTY: one updating line; a log: every 15 s)
start=$(date +%s)
echo "[1/4] install: .venv with the bench and test extras (TensorFlow ~2 GB: 1-3 min on a fresh machine)" >&2
# (its sleep runs as a job the ticker waits for, so that killing the ticker also ends the sleep:
# nothing of bench.sh outlives it)
( trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM
  while sleep 15 & wait $!; do
      el=$(( $(date +%s) - start ))
      if [ -t 2 ]; then printf '\rinstall: %d:%02d elapsed ' $((el / 60)) $((el % 60)) >&2
      else echo "install: $((el / 60)):$(printf %02d $((el % 60))) elapsed (pip)" >&2; fi
  done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT
source scripts/_venv.sh
kill $ticker 2>/dev/null || true
[ -t 2 ] && printf '\r' >&2
el=$(( $(date +%s) - start ))
if [ "$VENV_INSTALLED" = skipped ]; then
    echo "install: .venv already holds this pyproject.toml's install: skipped" >&2
else
    echo "install: done in $((el / 60)):$(printf %02d $((el % 60)))" >&2
fi

# Provenance for environment.json and for resuming results/<profile>/: the commit, "+dirty" when
# tracked files differ from it (then the runs start afresh every time).
SCRATCHNET_GIT_COMMIT=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    SCRATCHNET_GIT_COMMIT="$SCRATCHNET_GIT_COMMIT+dirty"
fi
export SCRATCHNET_GIT_COMMIT

# Two runs at a time, each process on one thread (BLAS, OpenMP, TensorFlow), as in the reference run.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
exec "$VENV/bin/python" -m scratchnet.bench.quickstart --profile "$SCRATCHNET_BENCH_PROFILE" "$@"
