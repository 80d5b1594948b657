#!/usr/bin/env bash
# The committed reference run (results/): every registered case with scratchnet, scratchnet-jit, keras (calibrated),
# tf-loop, torch, keras-default and sklearn, 5 seeds, parity mode; native mode for the five real-data cases; the
# claim-sensitivity variants with scratchnet and sklearn. Then the report and the README headline.
#
# Two runs at a time (--jobs 2) on the 2-core reference machine, each process limited to ONE thread
# (BLAS, OpenMP and TensorFlow's thread pools) and pinned to a core of its own (--jobs pins its workers:
# scratchnet/bench/running/cores.py), so every framework gets one core to itself; the
# report's environment section records both settings. Resumes: delete the tables to start afresh.
set -uo pipefail
cd "$(dirname "$0")/.."
export SCRATCHNET_EXTRAS=${SCRATCHNET_EXTRAS:-bench,test,torch,jit}  # the torch and scratchnet-jit contenders are part of the reference
source scripts/_venv.sh
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2} KERAS_HOME=${KERAS_HOME:-$PWD/.cache/keras}
export MPLCONFIGDIR=${MPLCONFIGDIR:-$PWD/.cache/matplotlib}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
export SCRATCHNET_GIT_COMMIT="$(git rev-parse HEAD)$(git diff --quiet HEAD -- . ':!results' || echo +dirty)"
PY=.venv/bin/python
BASE=$($PY -c "from scratchnet.bench.cases import CASES; print(','.join(n for n in CASES if '[' not in n))")
NATIVE=moons-2-4-4-1,diabetes-10-32-1,breast-cancer-30-16-1,digits-64-32-10,california-8-64-64-1
status=0
$PY -m scratchnet.bench.cli run --cases "$BASE" --seeds 5 --jobs 2 --modes parity --results results || status=1
$PY -m scratchnet.bench.cli run --cases "$NATIVE" --seeds 5 --jobs 2 --modes native --results results || status=1
$PY -m scratchnet.bench.cli run --cases '*[*' --frameworks scratchnet,sklearn --seeds 5 --jobs 2 \
    --modes parity --results results || status=1
$PY -m scratchnet.bench.cli report --results results --readme README.md
exit $status
