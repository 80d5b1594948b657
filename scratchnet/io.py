"""Save and load models as one ``.npz`` file: a JSON config plus plain arrays, never pickle.

File layout (``numpy.savez``, loaded with ``allow_pickle=False``):

* ``__format__``  -- the string ``"scratchnet-model"``; anything else is a foreign file;
* ``__config__``  -- JSON: format version, model config (layers, dtype, seed), compile config
  (optimizer and loss), and the sha256 of the weight bytes;
* ``weight_000`` ... -- the weights in ``get_weights()`` order;
* ``optimizer/<key>`` -- the optimizer state (iterations, moments), when compiled.

Loading verifies the format marker, the version, the weight count, shapes and dtype, and the
checksum, and names the file and the problem when any of them is off.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers

FORMAT = "scratchnet-model"
VERSION = 1


class ModelFileError(ValueError):
    """A file that is not a valid scratchnet model (foreign, truncated or tampered)."""


def _digest(weights: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for w in weights:
        h.update(f"{w.dtype.str}{w.shape}".encode())
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()


def save_model(model, path: str | os.PathLike) -> Path:
    """Write ``model`` to ``path`` (".npz" appended if missing) atomically; returns the path."""
    if not model._build_if_ready():
        raise ValueError("cannot save a model that is not built: fit it or give it an Input first")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    weights = model.get_weights()
    config = {
        "format_version": VERSION,
        "model": model.get_config(),
        "compile": None if model.optimizer is None else {
            "optimizer": model.optimizer.get_config(),
            "loss": model.loss.get_config(),
            "metrics": list(model.metrics),
        },
        "weights_sha256": _digest(weights),
    }
    arrays = {"__format__": np.array(FORMAT), "__config__": np.array(json.dumps(config))}
    arrays.update({f"weight_{i:03d}": w for i, w in enumerate(weights)})
    if model.optimizer is not None and model.optimizer._dtype is not None:
        arrays.update({f"optimizer/{k}": v for k, v in model.optimizer.get_state().items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_model(path: str | os.PathLike):
    """Rebuild a model saved by :func:`save_model`, compiled if it was."""
    from .model import Sequential

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
