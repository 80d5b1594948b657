"""The model file format and ``save_model``: one ``.npz`` file, a JSON config plus plain arrays, never pickle.

File layout (``numpy.savez``, loaded with ``allow_pickle=False``):

* ``__format__``  -- the string ``"scratchnet-model"``; anything else is a foreign file;
* ``__config__``  -- JSON: format version, model config (layers, dtype, seed), compile config
  (optimizer and loss), and the sha256 of the weight bytes;
* ``weight_000`` ... -- the weights in ``get_weights()`` order;
* ``optimizer/<key>`` -- the optimizer state (iterations, moments), when compiled.

Loading verifies the format marker, the version, the weight count, shapes and dtype, and the
checksum, and names the file and the problem when any of them is off (``load_model``, in
:mod:`scratchnet.loading`: this module does not import the model, so model -> io runs one way).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np


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
