"""Test-session setup: keep Keras, matplotlib and TensorFlow quiet and out of $HOME, and skip what
an optional framework that is not installed would need.

Importing keras writes ~/.keras and matplotlib writes a font cache; both go to a temporary
directory here. Markers (pyproject.toml) name what a test needs beyond the library:

* ``tf`` -- TensorFlow/Keras (the ``bench`` extra); ``torch`` -- PyTorch (the ``torch`` extra);
  ``jit`` -- numba (the ``jit`` extra, the scratchnet-jit contender).
  A marked test is skipped, with the install command as its reason, when its framework is not
  installed, so ``bash scripts/test.sh`` passes with any subset of the optional frameworks.
  ``-m "not tf"`` deselects the TensorFlow tests outright (the library-only path, README).
"""
import importlib.util
import os
import tempfile

import pytest

_TMP = tempfile.mkdtemp(prefix="scratchnet-tests-")
os.environ.setdefault("KERAS_HOME", os.path.join(_TMP, "keras"))
os.environ.setdefault("MPLCONFIGDIR", os.path.join(_TMP, "mpl"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

# marker -> (the modules it needs, how to install them)
OPTIONAL = {
    "tf": (("tensorflow", "keras"), "TensorFlow/Keras are not installed (pip install -e .[bench])"),
    "torch": (("torch",), "torch is not installed (pip install -e .[torch])"),
    "jit": (("numba",), "numba is not installed (pip install -e .[jit])"),
}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None  # finds it without importing it


def pytest_collection_modifyitems(config, items):
    for marker, (modules, reason) in OPTIONAL.items():
        if all(_installed(m) for m in modules):
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)
