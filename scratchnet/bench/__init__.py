"""The comparison harness: scratchnet against an equivalent Keras model.

Nothing in this package imports TensorFlow at import time; the Keras side is
imported lazily inside the functions that need it.
"""
