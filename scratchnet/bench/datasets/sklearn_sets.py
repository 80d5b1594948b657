"""The scikit-learn toy sets (diabetes, breast cancer, digits, wine, iris): fixed stratified splits,
standardised on the training rows."""
from __future__ import annotations

from typing import Callable

from sklearn import datasets as skdatasets


from scratchnet.bench.datasets.base import Dataset, _make_dataset, _one_hot, _sizes, _split, _standardise


# -------------------------------------------------------------- scikit-learn sets


def load_diabetes() -> Dataset:
    """sklearn diabetes (raw features); X and y standardised on the training rows."""
    bunch = skdatasets.load_diabetes(scaled=False)
    X_train, X_test, y_train, y_test = _split(bunch.data, bunch.target.reshape(-1, 1), 0.2, False)
    X_train, X_test = _standardise(X_train, X_test)
    y_train, y_test = _standardise(y_train, y_test)
    description = (
        "sklearn load_diabetes(scaled=False): 10 raw features -> disease progression "
        "(raw targets 25..346). Split train_test_split(test_size=0.2, random_state=0); "
        "X and y each standardised with a StandardScaler fitted on the training rows only "
        f"(y is in standard units): {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "diabetes", "regression", (X_train, X_test, y_train, y_test),
        tuple(bunch.feature_names), ("progression",), description,
    )


def load_breast_cancer() -> Dataset:
    """sklearn breast cancer, binary (1 = benign); X standardised on the training rows."""
    bunch = skdatasets.load_breast_cancer()
    X_train, X_test, y_train, y_test = _split(bunch.data, bunch.target, 0.2, True)
    X_train, X_test = _standardise(X_train, X_test)
    description = (
        "sklearn load_breast_cancer: 30 features -> y = 1 benign, 0 malignant. Stratified "
        "train_test_split(test_size=0.2, random_state=0); X standardised with StandardScaler "
        f"fitted on the training rows only: {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "breast_cancer", "binary", (X_train, X_test, y_train, y_test),
        tuple(bunch.feature_names), ("benign",), description,
    )


def load_digits() -> Dataset:
    """sklearn 8x8 digits, 10 classes one-hot; pixels divided by 16 (no fitted scaler)."""
    bunch = skdatasets.load_digits()
    X_train, X_test, labels_train, labels_test = _split(bunch.data / 16.0, bunch.target, 0.2, True)
    description = (
        "sklearn load_digits: 64 pixel intensities 0..16 divided by 16.0 (a fixed scale, "
        "nothing fitted) -> 10 classes, one-hot. Stratified train_test_split(test_size=0.2, "
        f"random_state=0): {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "digits", "multiclass",
        (X_train, X_test, _one_hot(labels_train, 10), _one_hot(labels_test, 10)),
        tuple(bunch.feature_names), tuple(str(c) for c in bunch.target_names), description,
    )


def _load_standardised_multiclass(name: str, loader: Callable[[], object]) -> Dataset:
    """A small sklearn classification table: stratified split, standardised X, one-hot y."""
    bunch = loader()
    n_classes = len(bunch.target_names)
    X_train, X_test, labels_train, labels_test = _split(bunch.data, bunch.target, 0.2, True)
    X_train, X_test = _standardise(X_train, X_test)
    description = (
        f"sklearn load_{name}: {bunch.data.shape[1]} features -> {n_classes} classes, one-hot. "
        "Stratified train_test_split(test_size=0.2, random_state=0); X standardised with "
        f"StandardScaler fitted on the training rows only: {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        name, "multiclass",
        (X_train, X_test, _one_hot(labels_train, n_classes), _one_hot(labels_test, n_classes)),
        tuple(bunch.feature_names), tuple(str(c) for c in bunch.target_names), description,
    )


def load_wine() -> Dataset:
    """sklearn wine, 3 classes one-hot; X standardised on the training rows."""
    return _load_standardised_multiclass("wine", skdatasets.load_wine)


def load_iris() -> Dataset:
    """sklearn iris, 3 classes one-hot; X standardised on the training rows."""
    return _load_standardised_multiclass("iris", skdatasets.load_iris)
