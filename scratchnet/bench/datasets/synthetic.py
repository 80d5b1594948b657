"""Generated and tutorial sets: moons, Friedman #1, the three-feature and sleep-study tables of the
tutorials, blobs and a random 784-feature classification set; deterministic (fixed random states)."""
from __future__ import annotations


import numpy as np
from sklearn import datasets as skdatasets
from sklearn.preprocessing import MinMaxScaler


from scratchnet.bench.datasets.base import (Dataset, _check_positive_int, _make_dataset, _one_hot, _sizes, _split,
    _standardise)


# ------------------------------------------------------------------ synthetic sets


def load_moons() -> Dataset:
    """Two interleaving half-moons, binary, unscaled."""
    X, y = skdatasets.make_moons(n_samples=1000, noise=0.2, random_state=0)
    X_train, X_test, y_train, y_test = _split(X, y, 0.2, False)
    description = (
        "sklearn make_moons(n_samples=1000, noise=0.2, random_state=0): 2 features -> binary "
        "label. Split train_test_split(test_size=0.2, random_state=0); no scaling (features "
        f"are already about unit range): {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "moons", "binary", (X_train, X_test, y_train, y_test), ("x0", "x1"), ("label",),
        description,
    )


def load_friedman1() -> Dataset:
    """Friedman #1 regression; X and y standardised on the training rows."""
    X, y = skdatasets.make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0)
    X_train, X_test, y_train, y_test = _split(X, y.reshape(-1, 1), 0.2, False)
    X_train, X_test = _standardise(X_train, X_test)
    y_train, y_test = _standardise(y_train, y_test)
    description = (
        "sklearn make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0) "
        "(only the first 5 features matter). Split train_test_split(test_size=0.2, "
        "random_state=0); X and y each standardised with a StandardScaler fitted on the "
        f"training rows only: {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "friedman1", "regression", (X_train, X_test, y_train, y_test),
        tuple(f"x{i}" for i in range(10)), ("y",), description,
    )


def load_three_feature() -> Dataset:
    """The 'single neuron' tutorial: 3 bits in, target = the first bit."""
    X_train = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=np.float64)
    X_test = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=np.float64)
    description = (
        "The classic single-neuron tutorial: train X = [[0,0,1],[1,1,1],[1,0,1],[0,1,1]], "
        "y = [[0],[1],[1],[0]]; test X = the other four 3-bit vectors [[0,0,0],[1,0,0],"
        "[0,1,0],[1,1,0]]; the target equals the first feature. No scaling: 4 train / 4 test rows."
    )
    return _make_dataset(
        "three-feature", "binary", (X_train, X_test, X_train[:, :1], X_test[:, :1]),
        ("x0", "x1", "x2"), ("x0",), description,
    )


def load_sleep_study() -> Dataset:
    """'Neural Networks Demystified': (hours sleep, hours study) -> test score."""
    X_train = np.array([[3, 5], [5, 1], [10, 2], [6, 1.5]], dtype=np.float64)
    y_train = np.array([[75], [82], [93], [70]], dtype=np.float64)
    X_test = np.array([[4, 5.5], [4.5, 1], [9, 2.5], [6, 2]], dtype=np.float64)
    y_test = np.array([[70], [89], [85], [75]], dtype=np.float64)
    column_max = X_train.max(axis=0)
    description = (
        "The 'Neural Networks Demystified' 2-3-1 tutorial data: X = (hours of sleep, hours "
        "of study), y = test score. X (train and test) divided by the column max of the "
        "TRAIN X; y divided by 100. Fixed split: 4 train / 4 test rows."
    )
    return _make_dataset(
        "sleep-study", "regression",
        (X_train / column_max, X_test / column_max, y_train / 100.0, y_test / 100.0),
        ("sleep", "study"), ("score",), description,
    )


def load_blobs() -> Dataset:
    """Two Gaussian blobs for a perceptron; X min-max scaled on the training rows."""
    X, y = skdatasets.make_blobs(n_samples=200, centers=2, n_features=2, random_state=0)
    X_train, X_test, y_train, y_test = _split(X, y, 0.25, False)
    scaler = MinMaxScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    description = (
        "sklearn make_blobs(n_samples=200, centers=2, n_features=2, random_state=0) -> binary "
        "label. Split train_test_split(test_size=0.25, random_state=0); X min-max scaled with "
        "MinMaxScaler fitted on the training rows only (test values may fall outside [0, 1]): "
        f"{_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "blobs", "binary", (X_train, X_test, y_train, y_test), ("x0", "x1"), ("label",),
        description,
    )


def load_random_784(n_train: int = 8192, n_test: int = 2048) -> Dataset:
    """Throughput set: 784 standard-normal features, 10 classes from a fixed linear teacher."""
    n_train = _check_positive_int("n_train", n_train)
    n_test = _check_positive_int("n_test", n_test)
    rng = np.random.default_rng(0)
    teacher = rng.standard_normal((784, 10))
    X = rng.standard_normal((n_train + n_test, 784))
    labels = np.argmax(X @ teacher, axis=1)
    description = (
        "Synthetic throughput set: np.random.default_rng(0) draws a fixed 784x10 'teacher' "
        "matrix, then X ~ N(0, 1) with 784 features; label = argmax(X @ teacher) (learnable), "
        f"one-hot over 10 classes. First {n_train} rows train, next {n_test} test; no scaling; "
        "float64 (cases cast as they need)."
    )
    return _make_dataset(
        "random-784", "multiclass",
        (X[:n_train], X[n_train:], _one_hot(labels[:n_train], 10), _one_hot(labels[n_train:], 10)),
        tuple(f"x{i}" for i in range(784)), tuple(f"class_{i}" for i in range(10)), description,
    )
