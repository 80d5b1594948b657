#!/usr/bin/env bash
# Quick start, command 2: install the project with its test and benchmark extras into .venv and run
# the test suite; extra arguments go to pytest. Tests of an optional framework that is not installed
# are skipped with the install command as the reason (tests/conftest.py). Other paths:
#   SCRATCHNET_EXTRAS=report,test bash scripts/test.sh -m "not tf"   # library + report, no TensorFlow (.venv-lib)
#   SCRATCHNET_EXTRAS=bench,test,torch bash scripts/test.sh -m torch  # the optional PyTorch contender
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/_venv.sh
exec "$VENV/bin/python" -m pytest "$@"
