# Sourced by bench.sh and test.sh: create .venv if missing and install the project with its
# benchmark and test extras (TensorFlow included) into it. The install is skipped when .venv holds
# an install of this very pyproject.toml (its sha256 is kept in .venv/.scratchnet-installed): the
# project is installed editable, so code changes need no reinstall; a dependency change does.
# SCRATCHNET_EXTRAS picks the extras (default bench,test; CI and the reference run add torch, the
# optional PyTorch contender, which is recorded "unsupported" with its reason when absent).
PYTHON=${PYTHON:-python3}
SCRATCHNET_EXTRAS=${SCRATCHNET_EXTRAS:-bench,test}
_stamp=.venv/.scratchnet-installed
_want="$(sha256sum pyproject.toml | cut -d' ' -f1) $SCRATCHNET_EXTRAS"
_have=$(cat "$_stamp" 2>/dev/null || true)
_covered=yes  # the stamp's pyproject hash matches and its extras include every extra wanted
[ "${_have%% *}" = "${_want%% *}" ] || _covered=no
for _x in ${SCRATCHNET_EXTRAS//,/ }; do
    case ",${_have#* }," in *",$_x,"*) ;; *) _covered=no ;; esac
done
if [ -x .venv/bin/python ] && [ "$_covered" = yes ]; then
    VENV_INSTALLED=skipped
else
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[$SCRATCHNET_EXTRAS]"
    echo "$_want" > "$_stamp"
    VENV_INSTALLED=done
fi
