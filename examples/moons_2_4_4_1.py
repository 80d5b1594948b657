"""A 2-4-4-1 network with two sigmoid hidden layers, written as a class with explicit delta
rules, the way the two-hidden-layer tutorial wrote it: mini-batch gradient descent on the mean
squared error, NumPy only.

Check it against an equivalent Keras model on make_moons (batch 32, shuffled each epoch):

    scratchnet-bench check examples/moons_2_4_4_1.py:make_net --case moons-2-4-4-1 --epochs 3
"""
import numpy as np


class TwoHiddenLayerNet:
    def __init__(self, sizes=(2, 4, 4, 1), learning_rate=0.5, seed=7):
        rng = np.random.default_rng(seed)
        self.sizes = sizes
        self.learning_rate = learning_rate
        # Glorot-uniform weights, zero biases (what Keras' Dense does by default)
        self.weights, self.biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self.weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)))
            self.biases.append(np.zeros(fan_out))

    @staticmethod
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def feedforward(self, X):
        """Keep every layer's activation for backpropagation; the last one is the output."""
        self.activations = [X]
        for W, b in zip(self.weights, self.biases):
            self.activations.append(self.sigmoid(self.activations[-1] @ W + b))
        return self.activations[-1]

    def backpropagate(self, y):
        """Delta rules, output first: delta_L = dL/da * a (1 - a); delta_l = (delta_{l+1} W_{l+1}^T) a (1 - a)."""
        output = self.activations[-1]
        error = 2.0 * (output - y) / y.size               # d mean((a - y)^2) / da
        deltas = [error * output * (1.0 - output)]
        for layer in range(len(self.weights) - 1, 0, -1):
            a = self.activations[layer]
            deltas.insert(0, (deltas[0] @ self.weights[layer].T) * a * (1.0 - a))
        # every delta is computed before any weight changes
        for layer, delta in enumerate(deltas):
            self.weights[layer] = self.weights[layer] - self.learning_rate * self.activations[layer].T @ delta
            self.biases[layer] = self.biases[layer] - self.learning_rate * delta.sum(axis=0)

    def fit(self, X, y, epochs=100, batch_size=32, seed=0):
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch_size):
                rows = order[start:start + batch_size]
                self.train_on_batch(X[rows], y[rows])

    # -- the protocol scratchnet-bench check expects -------------------------------------
    def describe(self):
        return {
            "input_dim": self.sizes[0],
            "layers": [{"units": n, "activation": "sigmoid", "use_bias": True} for n in self.sizes[1:]],
            "loss": "mse",
            "optimizer": {"name": "sgd", "learning_rate": self.learning_rate},
            "dtype": "float64",
        }

    def get_weights(self):
        out = []
        for W, b in zip(self.weights, self.biases):
            out += [W.copy(), b.copy()]
        return out

    def set_weights(self, weights):
        self.weights = [np.array(w, dtype=np.float64) for w in weights[0::2]]
        self.biases = [np.array(b, dtype=np.float64) for b in weights[1::2]]

    def train_on_batch(self, X, y):
        self.feedforward(X)
        self.backpropagate(y)

    def predict(self, X):
        return self.feedforward(X)


def make_net():
    return TwoHiddenLayerNet()
