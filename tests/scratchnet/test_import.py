"""``import scratchnet`` stays light: NumPy only, no TensorFlow/Keras/pandas/scikit-learn."""
from __future__ import annotations

import json
import subprocess
import sys

import scratchnet as sn

HEAVY = ("tensorflow", "keras", "pandas", "sklearn", "scipy", "matplotlib", "torch", "jax", "numba")


def test_import_does_not_pull_heavy_packages():
    code = (
        "import json, sys\n"
        "import scratchnet\n"
        "m = scratchnet.Sequential([scratchnet.Input((2,)), scratchnet.Dense(1)])\n"
        "m.compile('adam', 'mse')\n"
        "m.fit([[0.0, 1.0]], [1.0], verbose=0)\n"
        f"print(json.dumps(sorted({{n.split('.')[0] for n in sys.modules}} & set({list(HEAVY)!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_subprocess_check_can_see_an_import():
    # the same probe reports a package that *is* imported (json here), so the test above can fail
    code = "import sys, json, scratchnet; print('json' in sys.modules and 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "True"


def test_public_api():
    for name in sn.__all__:
        assert hasattr(sn, name), name
    assert sn.__version__ == "0.1.0"
    assert sn.Sequential.__module__ == "scratchnet.model"
    assert issubclass(sn.EarlyStopping, sn.Callback)
