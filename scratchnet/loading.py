"""``load_model``: rebuild a :class:`~scratchnet.model.Sequential` from a file written by
:func:`scratchnet.io.save_model` (the format, its checks and ``ModelFileError`` live in
:mod:`scratchnet.io`, which does not import the model: ``model -> io`` and ``loading -> model, io``
run one way).
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers
from .io import FORMAT, VERSION, ModelFileError, _digest
from .model import Sequential


def load_model(path: str | os.PathLike):
    """Rebuild a model saved by :func:`save_model`, compiled if it was."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"{path} is not a scratchnet model file (.npz could not be read: {exc})") from None
    if "__format__" not in arrays or str(arrays["__format__"]) != FORMAT:
        raise ModelFileError(f"{path} is not a scratchnet model file (no '{FORMAT}' marker)")
    try:
        config = json.loads(str(arrays["__config__"]))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: the model config is missing or not valid JSON ({exc})") from None
    if config.get("format_version") != VERSION:
        raise ModelFileError(f"{path}: format version {config.get('format_version')!r}, this scratchnet reads {VERSION}")
    weights = [arrays[k] for k in sorted(k for k in arrays if k.startswith("weight_"))]
    if _digest(weights) != config.get("weights_sha256"):
        raise ModelFileError(f"{path}: the weights do not match the checksum in the file (modified or corrupted)")
    mc = config["model"]
    try:
        model = Sequential(dtype=mc["dtype"], seed=mc.get("seed"), name=mc.get("name", "sequential"))
        if mc.get("input_dim") is not None:
            model.add(_layers.Input((mc["input_dim"],)))
        for layer_config in mc["layers"]:
            model.add(_layers.from_config(layer_config))
        model.build()
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: the model config cannot be rebuilt ({exc})") from None
    expected = [w.shape for w in model.weights]
    if [w.shape for w in weights] != expected or any(w.dtype != model.dtype for w in weights):
        raise ModelFileError(
            f"{path}: stored weights {[w.shape for w in weights]} do not fit the architecture {expected}"
        )
    model.set_weights(weights)
    if config.get("compile"):
        cc = config["compile"]
        model.compile(_optimizers.from_config(cc["optimizer"]), _losses.from_config(cc["loss"]), cc["metrics"])
        state = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("optimizer/")}
        if state:
            model.optimizer.set_state(state)
    return model
