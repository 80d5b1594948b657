#!/usr/bin/env bash
# Did a commit make scratchnet slower? `asv continuous` between two commits on the regression-tracking
# benchmarks (benchmarks/bench_steps.py: one optimizer step of scratchnet, timed by
# asv with its own repeats and statistics), each commit built and installed in asv's environment.
#   bash scripts/asv_compare.sh [BASE=main] [HEAD=HEAD]     (ASV_FACTOR=1.5 by default)
# asv prints a table of both commits' figures with their spread; "+" marks a slowdown larger than the
# factor and statistically significant, "-" a speed-up. Exit status 1 when something got slower.
# The first call builds asv's environment (.asv/env, the bench extras: a few minutes); later calls reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
BASE=${1:-main}
TARGET=${2:-HEAD}
export SCRATCHNET_BENCH_PROFILE=fast TF_CPP_MIN_LOG_LEVEL=2
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
machine="$(hostname)-regression"
"$VENV/bin/python" -m asv machine --yes --machine "$machine" > /dev/null
exec "$VENV/bin/python" -m asv continuous --split --show-stderr --interleave-rounds --factor "${ASV_FACTOR:-1.5}" \
    --bench 'StepTime.time_seconds_per_step' --machine "$machine" --launch-method=spawn "$BASE" "$TARGET"
