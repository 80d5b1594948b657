#!/usr/bin/env bash
# Quick start, command 2: install the project with its test and benchmark extras into .venv
# and run the test suite (extra arguments go to pytest, e.g. -m "not tf" to skip TensorFlow).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/_venv.sh
exec .venv/bin/python -m pytest "$@"
