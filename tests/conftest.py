"""Test-session setup: keep Keras, matplotlib and TensorFlow quiet and out of $HOME.

Importing keras writes ~/.keras and matplotlib writes a font cache; both go to a
temporary directory here. Tests that need TensorFlow carry the ``tf`` marker and are
skipped (with the reason) when it is not installed.
"""
import os
import tempfile

_TMP = tempfile.mkdtemp(prefix="scratchnet-tests-")
os.environ.setdefault("KERAS_HOME", os.path.join(_TMP, "keras"))
os.environ.setdefault("MPLCONFIGDIR", os.path.join(_TMP, "mpl"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
