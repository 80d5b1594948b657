# Sourced by bench.sh and test.sh: create .venv if missing and install the project with its
# benchmark and test extras (TensorFlow included) into it.
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[bench,test]"
