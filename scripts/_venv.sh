# Sourced by bench.sh and test.sh: create the virtual environment if missing and install the project
# with its extras into it. The install is skipped when the environment holds an install of this very
# pyproject.toml with every extra wanted (the sha256 and the extras are kept in VENV/.scratchnet-installed):
# the project is installed editable, so code changes need no reinstall; a dependency change does.
# SCRATCHNET_EXTRAS picks the extras (default bench,test: the README's quick start). With `bench`
# the environment is .venv; without it (the library-only path: SCRATCHNET_EXTRAS=report,test, no
# TensorFlow) it is .venv-lib, so that TensorFlow is really absent there. SCRATCHNET_VENV overrides.
# Optional contenders (torch) go into .venv beside bench: SCRATCHNET_EXTRAS=bench,test,torch.
PYTHON=${PYTHON:-python3}
SCRATCHNET_EXTRAS=${SCRATCHNET_EXTRAS:-bench,test}
case ",$SCRATCHNET_EXTRAS," in *,bench,*) _default_venv=.venv ;; *) _default_venv=.venv-lib ;; esac
VENV=${SCRATCHNET_VENV:-$_default_venv}
_stamp=$VENV/.scratchnet-installed
_want="$(sha256sum pyproject.toml | cut -d' ' -f1) $SCRATCHNET_EXTRAS"
_have=$(cat "$_stamp" 2>/dev/null || true)
_covered=yes  # the stamp's pyproject hash matches and its extras include every extra wanted
[ "${_have%% *}" = "${_want%% *}" ] || _covered=no
for _x in ${SCRATCHNET_EXTRAS//,/ }; do
    case ",${_have#* }," in *",$_x,"*) ;; *) _covered=no ;; esac
done
if [ -x "$VENV/bin/python" ] && [ "$_covered" = yes ]; then
    VENV_INSTALLED=skipped
else
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[$SCRATCHNET_EXTRAS]"
    echo "$_want" > "$_stamp"
    VENV_INSTALLED=done
fi
