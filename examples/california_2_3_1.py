"""A 2-3-1 sigmoid network for California housing, written function by function as the
tutorial wrote it: NumPy only, per-sample stochastic gradient descent on the mean squared error.

    MedInc, AveRooms (min-max scaled) -> 3 sigmoid units -> 1 sigmoid unit -> MedHouseVal (scaled)

Check it against an equivalent Keras model, step for step (from the repository root):

    scratchnet-bench check examples/california_2_3_1.py:make_net --case california-2-3-1 --epochs 3

``make_net()`` wraps the functions below in the object the checker expects (see
``scratchnet/bench/parity/foreign.py``): describe / get_weights / set_weights / train_on_batch / predict.
"""
import numpy as np

LEARNING_RATE = 0.05


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(a):
    """Derivative of the sigmoid written with its output a = sigmoid(z)."""
    return a * (1.0 - a)


def init_params(n_in=2, n_hidden=3, n_out=1, seed=42):
    """Weights and biases uniform in [0, 1), as in the tutorial."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.random((n_in, n_hidden)),
        "b1": rng.random(n_hidden),
        "W2": rng.random((n_hidden, n_out)),
        "b2": rng.random(n_out),
    }


def forward(params, X):
    z1 = X @ params["W1"] + params["b1"]
    a1 = sigmoid(z1)
    z2 = a1 @ params["W2"] + params["b2"]
    a2 = sigmoid(z2)
    return {"a1": a1, "a2": a2}


def backward(params, cache, X, y):
    """Gradients of the mean squared error mean((a2 - y)^2) over the rows and outputs."""
    a1, a2 = cache["a1"], cache["a2"]
    n = X.shape[0] * y.shape[1]
    d_a2 = 2.0 * (a2 - y) / n                  # dL/da2
    d_z2 = d_a2 * sigmoid_derivative(a2)       # output delta
    d_a1 = d_z2 @ params["W2"].T
    d_z1 = d_a1 * sigmoid_derivative(a1)       # hidden delta
    return {
        "W2": a1.T @ d_z2, "b2": d_z2.sum(axis=0),
        "W1": X.T @ d_z1, "b1": d_z1.sum(axis=0),
    }


def update(params, grads, learning_rate):
    for key in params:
        params[key] = params[key] - learning_rate * grads[key]


def train(params, X, y, epochs, learning_rate=LEARNING_RATE):
    """The tutorial's loop: one update per row, rows in order."""
    for _ in range(epochs):
        for i in range(X.shape[0]):
            xi, yi = X[i:i + 1], y[i:i + 1]
            update(params, backward(params, forward(params, xi), xi, yi), learning_rate)
    return params


class FunctionNet:
    """The protocol around the functions above."""

    def __init__(self, params):
        self.params = params

    def describe(self):
        return {
            "input_dim": 2,
            "layers": [{"units": 3, "activation": "sigmoid", "use_bias": True},
                       {"units": 1, "activation": "sigmoid", "use_bias": True}],
            "loss": "mse",
            "optimizer": {"name": "sgd", "learning_rate": LEARNING_RATE},
            "dtype": "float64",
        }

    def get_weights(self):
        p = self.params
        return [p["W1"].copy(), p["b1"].copy(), p["W2"].copy(), p["b2"].copy()]

    def set_weights(self, weights):
        for key, value in zip(("W1", "b1", "W2", "b2"), weights):
            self.params[key] = np.array(value, dtype=np.float64)

    def train_on_batch(self, x, y):
        update(self.params, backward(self.params, forward(self.params, x), x, y), LEARNING_RATE)

    def predict(self, x):
        return forward(self.params, x)["a2"]


def make_net():
    return FunctionNet(init_params())
