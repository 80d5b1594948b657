"""scratchnet: a neural network written from scratch in NumPy, with Keras' API.

Public API (explicit re-exports):

* model: :class:`Sequential`, :func:`load_model`
* layers: :class:`Input`, :class:`Dense`, :class:`Activation`
* optimizers: :class:`SGD`, :class:`Adam`, :class:`RMSprop`
* callbacks: :class:`Callback`, :class:`History`, :class:`EarlyStopping`
* modules: ``activations``, ``losses``, ``initializers``, ``optimizers``, ``callbacks``

Only NumPy is imported; TensorFlow lives in ``scratchnet.bench`` and is loaded lazily there.
"""
from . import activations, callbacks, initializers, losses, optimizers
from .callbacks import Callback, EarlyStopping, History
from .initializers import (GlorotNormal, GlorotUniform, HeNormal, HeUniform, Ones, RandomNormal,
                           RandomUniform, Zeros)
from .io import ModelFileError, save_model
from .loading import load_model
from .layers import Activation, Dense, Input
from .model import Sequential
from .optimizers import SGD, Adam, RMSprop

__version__ = "0.1.0"

__all__ = [
    "Sequential", "load_model", "save_model", "ModelFileError",
    "Input", "Dense", "Activation",
    "SGD", "Adam", "RMSprop",
    "Callback", "History", "EarlyStopping",
    "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "RandomUniform", "RandomNormal",
    "Zeros", "Ones",
    "activations", "callbacks", "initializers", "losses", "optimizers",
]
