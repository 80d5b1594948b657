#!/usr/bin/env bash
# Quick start, command 1: install the suite's dependencies into .venv, run the asv suite
# (fast profile by default; SCRATCHNET_BENCH_PROFILE=full for every case and 5 seeds),
# write its report to results/<profile>/, and regenerate the committed reference report
# (results/REPORT.md, results/report.html, results/figures/) from the recorded tables.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/_venv.sh

export SCRATCHNET_BENCH_PROFILE=${SCRATCHNET_BENCH_PROFILE:-fast}
export SCRATCHNET_RESULTS="$PWD/results/$SCRATCHNET_BENCH_PROFILE"
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
export KERAS_HOME=${KERAS_HOME:-$PWD/.cache/keras}
export MPLCONFIGDIR=${MPLCONFIGDIR:-$PWD/.cache/matplotlib}

# results/<profile>/ is this command's own output (git-ignored): start it afresh so that
# every row in it comes from this commit. The committed reference run in results/ is untouched.
rm -rf "$SCRATCHNET_RESULTS"

# Provenance for environment.json: asv runs the suite from its own process and directory,
# so the commit (with "+dirty" when tracked files differ from it) is passed in.
SCRATCHNET_GIT_COMMIT=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    SCRATCHNET_GIT_COMMIT="$SCRATCHNET_GIT_COMMIT+dirty"
fi
export SCRATCHNET_GIT_COMMIT

# The profile is part of the asv machine name, so `asv compare` / `asv publish` never put a
# fast run beside a full one under the same benchmark names.
ASV_MACHINE="$(hostname)-$SCRATCHNET_BENCH_PROFILE"
.venv/bin/asv machine --yes --machine "$ASV_MACHINE" > /dev/null
.venv/bin/asv run --python=same --set-commit-hash "$(git rev-parse HEAD)" \
    --machine "$ASV_MACHINE" --launch-method=forkserver --show-stderr
.venv/bin/scratchnet-bench report --results "$SCRATCHNET_RESULTS"
.venv/bin/scratchnet-bench report --results results --readme README.md
echo "asv results: results/asv/   this run's report: $SCRATCHNET_RESULTS/REPORT.md   reference report: results/REPORT.md"
