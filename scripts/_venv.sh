# Sourced by bench.sh and test.sh: create .venv if missing and install the project with its
# benchmark and test extras (TensorFlow included) into it. The install is skipped when .venv holds
# an install of this very pyproject.toml (its sha256 is kept in .venv/.scratchnet-installed): the
# project is installed editable, so code changes need no reinstall; a dependency change does.
PYTHON=${PYTHON:-python3}
_stamp=.venv/.scratchnet-installed
_want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat "$_stamp" 2>/dev/null)" = "$_want" ]; then
    VENV_INSTALLED=skipped
else
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[bench,test]"
    echo "$_want" > "$_stamp"
    VENV_INSTALLED=done
fi
